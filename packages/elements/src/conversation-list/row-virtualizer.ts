/**
 * The conversation list's virtualizer options: fixed-height rows keyed by conversation id, and the row holding
 * the tab stop always among those drawn (kept in the DOM when scrolled away, so focus is never lost).
 */
import type { ConversationSummary } from '@locallightchat/protocol';
import {
  defaultRangeExtractor,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type Range,
  type VirtualizerOptions,
} from '@tanstack/virtual-core';
import { ROW_HEIGHT } from './styles.js';

export function rowVirtualizerOptions(
  rows: readonly ConversationSummary[],
  /** Index of the row holding the tab stop. */
  pinned: number,
  getScrollElement: () => HTMLElement | null,
  onChange: () => void,
): VirtualizerOptions<HTMLElement, Element> {
  return {
    count: rows.length,
    getScrollElement,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i: number) => rows[i]?.conversationId ?? i,
    overscan: 6,
    rangeExtractor: (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      return rows.length === 0 || indexes.includes(pinned) ? indexes : [...indexes, pinned].sort((a, b) => a - b);
    },
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange,
  };
}

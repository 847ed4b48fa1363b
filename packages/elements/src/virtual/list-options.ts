/**
 * `<llc-message-list>`'s virtualizer: its options (rows of messages keyed by message key, anchored to the end,
 * following appended rows) and where the view stands by the virtualizer's own state. Types only from
 * virtual-core: its code is the lazy chunk's (virtualizer-chunk.ts), handed in as `chunk`.
 */
import type { ClientMessage } from '@locallightchat/client';
import type { Virtualizer, VirtualizerOptions } from '@tanstack/virtual-core';
import type { VirtualizerChunk } from './load-virtualizer.js';

/** Distance from the end (px) within which the transcript counts as "at the latest message". */
export const END_THRESHOLD = 24;

/** The options for the messages `items`; `onChange(sync)` is the virtualizer's change callback. */
export function listVirtualizerOptions(
  chunk: VirtualizerChunk,
  items: readonly ClientMessage[],
  getScrollElement: () => HTMLElement | null,
  onChange: (sync: boolean) => void,
): VirtualizerOptions<HTMLElement, Element> {
  const { elementScroll, measureElement, observeElementOffset, observeElementRect } = chunk;
  return {
    count: items.length,
    getScrollElement,
    estimateSize: () => 96,
    getItemKey: (i: number) => items[i]?.key ?? i,
    overscan: 4,
    paddingStart: 12,
    // The 12 px below the last message are the last row's own padding (`.row.last`, llc-message-list.styles.ts),
    // not the virtualizer's: a streaming answer that grows then grows the log's scrollable overflow in the same
    // layout, so the virtualizer's follow-the-end write is never clamped by the spacer's old height. With 12 px
    // of its own padding, each growth's write was clamped and retried once the spacer grew, reading the layout
    // twice (traced 10k-token runs at 4× CPU throttle, load 9–10: 163–213 layouts forced by script per run,
    // 218–251 ms; with the row's padding 22–32, 90–113 ms).
    paddingEnd: 0,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: END_THRESHOLD,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    measureElement,
    // Measurements land in the next frame, so a re-render they cause never loops inside one ResizeObserver pass.
    useAnimationFrameWithResizeObserver: true,
    onChange: (_, sync) => onChange(sync),
  };
}

/**
 * How far the view is from the end by the virtualizer's own state (its measurements, the viewport it last
 * observed and the offset of its last scroll event): no layout read, unlike `isAtEnd()`.
 */
export function virtualDistanceFromEnd(v: Virtualizer<HTMLElement, Element>): number {
  return v.getTotalSize() - (v.scrollRect?.height ?? 0) - (v.scrollOffset ?? 0);
}

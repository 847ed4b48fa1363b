/**
 * The append-only paths for code fences in the incremental renderer (incremental.ts): a fence's HTML depends
 * only on its info string and content, so text added to an open fence is shown by appending it to the `<code>`
 * element, without parsing, rendering or sanitising anything; the block's HTML is rendered again only when
 * someone needs it (`stale`).
 */
import type MarkdownIt from 'markdown-it';
import { closingFenceLine, couldCloseFence, isOpenFence, lineStarts, offsetOfLine, type TopBlock } from './blocks.js';

export type Token = ReturnType<MarkdownIt['parse']>[number];

/** A top-level block as shown: its HTML and the nodes made from it. */
export interface RenderedBlock {
  /** Read it through `htmlOf`: after appends to a fence it lags until asked for. */
  html: string;
  nodes: Node[];
  /** Set for a top-level code fence, for the append-only paths. */
  fence?: FenceState;
}

/** A shown fence: `html` is re-rendered from `token` (with the current content) only when someone needs it. */
export interface FenceState {
  info: string;
  content: string;
  token: Token;
  /** `html` was rendered from an older content. */
  stale: boolean;
}

/**
 * The open tail ends in an unclosed top-level fence (opener not indented) whose content is the text from
 * its content start on: new text that cannot close it is appended without parsing anything.
 */
export interface OpenFence {
  block: RenderedBlock;
  code: Element;
  /** Matches a complete line that closes this fence. */
  closer: RegExp;
  marker: string;
  /** Text offset where the shown content ends (a partial line that may still close the fence waits after it). */
  shownTo: number;
}

/** What the fence paths count (a part of the renderer's stats). */
export interface FenceCounters {
  fenceAppends: number;
  fenceFastAppends: number;
}

/** The `<code>` element of a shown fence block. */
function codeOf(block: RenderedBlock): Element | null | undefined {
  return block.nodes
    .find((n): n is HTMLElement => n instanceof HTMLElement && n.localName === 'pre')
    ?.querySelector('code');
}

/**
 * Sets up the append-only path when the tail (`src`, starting at `tailStart` in `text`) ends in an unclosed,
 * unindented top-level fence shown as `shown`.
 */
export function findOpenFence(
  text: string,
  tailStart: number,
  src: string,
  tokens: Token[],
  last: TopBlock | undefined,
  shown: RenderedBlock | undefined,
): OpenFence | undefined {
  if (!last || !shown?.fence || last.to - last.from !== 1) return undefined;
  const token = tokens[last.from]!;
  const starts = lineStarts(src);
  if (!isOpenFence(token, src, starts)) return undefined;
  const contentStart = tailStart + offsetOfLine(starts, last.startLine + 1, Infinity);
  const code = codeOf(shown);
  // The content must be the text verbatim (it is not when markdown-it replaced a NUL character, say).
  if (contentStart > text.length || !code || !text.startsWith(shown.fence.content, contentStart)) return undefined;
  const marker = token.markup[0]!;
  return {
    block: shown,
    code,
    closer: closingFenceLine(marker, token.markup.length),
    marker,
    shownTo: contentStart + shown.fence.content.length,
  };
}

/**
 * The fast path for an open fence: appends what arrived after the shown content when no line of it can
 * close the fence, holding back a last partial line that still could (so closing backticks never show as
 * code). False when the tail must be parsed (a closing line, a NUL character).
 */
export function appendToOpenFence(open: OpenFence, text: string, stats: FenceCounters): boolean {
  const from = open.shownTo;
  const lastLineStart = text.lastIndexOf('\n') + 1;
  if (lastLineStart > from) {
    // Complete lines arrived. The first may be the rest of a line already shown, which cannot close the fence.
    const firstLineStart = text.charCodeAt(from - 1) === 10 ? from : text.indexOf('\n', from) + 1;
    if (firstLineStart < lastLineStart && open.closer.test(text.slice(firstLineStart, lastLineStart - 1))) return false;
  }
  const showTo =
    lastLineStart >= from && couldCloseFence(text.slice(lastLineStart), open.marker) ? lastLineStart : text.length;
  const added = text.slice(from, showTo);
  if (added.includes('\0')) return false;
  if (added) {
    open.code.append(added);
    open.block.fence!.content += added;
    open.block.fence!.stale = true;
    open.shownTo = showTo;
    stats.fenceAppends++;
    stats.fenceFastAppends++;
  }
  return true;
}

/** Shows a fence's new content by appending text (no render); false when it is not a pure extension. */
export function extendFence(shown: RenderedBlock, token: Token, stats: FenceCounters): boolean {
  const fence = shown.fence!;
  if (token.info !== fence.info || !token.content.startsWith(fence.content)) return false;
  if (token.content.length === fence.content.length) return true;
  const code = codeOf(shown);
  if (!code) return false;
  code.append(token.content.slice(fence.content.length));
  shown.fence = { info: token.info, content: token.content, token, stale: true };
  stats.fenceAppends++;
  return true;
}

/**
 * Top-level block structure of a markdown-it token stream: which tokens form each top-level block and which
 * source lines it covers. The incremental renderer freezes, renders and diffs at this granularity.
 */
import type MarkdownIt from 'markdown-it';

type Token = ReturnType<MarkdownIt['parse']>[number];

/** One top-level block: tokens [from, to) and source lines [startLine, endLine). */
export interface TopBlock {
  from: number;
  to: number;
  startLine: number;
  endLine: number;
  /** Type of the block's first token (`paragraph_open`, `fence`, `table_open`…). */
  type: string;
}

/** Splits tokens into top-level blocks (reference definitions produce no tokens and belong to no block). */
export function topLevelBlocks(tokens: readonly Token[]): TopBlock[] {
  const blocks: TopBlock[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (depth === 0) from = i;
    depth += token.nesting;
    if (depth === 0) {
      const first = tokens[from]!;
      const map = first.map ?? [0, 0];
      blocks.push({ from, to: i + 1, startLine: map[0], endLine: map[1], type: first.type });
    }
  }
  return blocks;
}

/** Character offset at which each line starts (index n = start of line n; one extra entry for the end). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Offset of the start of `line`, or the text length past the last line. */
export function offsetOfLine(starts: readonly number[], line: number, length: number): number {
  return line < starts.length ? starts[line]! : length;
}

/** How many lines markdown-it sees in `src` (a final newline does not start another line). */
export function lineCount(src: string, starts: readonly number[]): number {
  return src.endsWith('\n') || src === '' ? starts.length - 1 : starts.length;
}

/** Whether the block ends in a code fence that runs to the end of the text (an open fence). */
export function endsInOpenFence(tokens: readonly Token[], block: TopBlock, totalLines: number): boolean {
  for (let i = block.to - 1; i >= block.from; i--) {
    const token = tokens[i]!;
    if (token.type === 'fence' && token.map && token.map[1] >= totalLines) return !closesFence(token);
  }
  return false;
}

/** Whether a fence token ends in a closing fence line (an unclosed fence runs to the end of its container). */
function closesFence(token: Token): boolean {
  // markdown-it's map covers the opening line, the content lines and, when there is one, the closing line;
  // the content of an unclosed fence may end in a partial line (no newline yet), which is a line too.
  const lines = token.map ? token.map[1] - token.map[0] : 0;
  const content = token.content;
  const newlines = content.split('\n').length - 1;
  const contentLines = content === '' ? 0 : newlines + (content.endsWith('\n') ? 0 : 1);
  return lines >= contentLines + 2;
}

/**
 * Whether `token` is an unclosed top-level fence running to the end of `src`, opened without indentation
 * (so its content is the text after the opening line, verbatim). `starts` are `src`'s line starts.
 */
export function isOpenFence(token: Token, src: string, starts: readonly number[]): boolean {
  if (token.type !== 'fence' || !token.map || token.map[1] < lineCount(src, starts) || closesFence(token)) return false;
  return src.charCodeAt(starts[token.map[0]] ?? -1) === token.markup.charCodeAt(0);
}

/** Matches a complete line (in multi-line text) that closes a fence opened with `length` × `marker`. */
export function closingFenceLine(marker: string, length: number): RegExp {
  return new RegExp(`^ {0,3}${marker}{${length},}[ \\t]*$`, 'm');
}

const CLOSER_PREFIX: Record<string, RegExp> = { '`': /^ {0,3}`*[ \t]*$/, '~': /^ {0,3}~*[ \t]*$/ };

/** Whether a partial last line may still become a closing fence for `marker` (so it should not show yet). */
export function couldCloseFence(line: string, marker: string): boolean {
  return CLOSER_PREFIX[marker]?.test(line) ?? false;
}

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

/** Whether the block ends in a code fence that runs to the end of the text (an open fence). */
export function endsInOpenFence(tokens: readonly Token[], block: TopBlock, totalLines: number): boolean {
  for (let i = block.to - 1; i >= block.from; i--) {
    const token = tokens[i]!;
    if (token.type === 'fence' && token.map && token.map[1] >= totalLines) return !closesFence(token);
  }
  return false;
}

/** markdown-it records the closing fence in `token.markup` only by length; an unclosed fence has no closing line. */
function closesFence(token: Token): boolean {
  // markdown-it sets the block's end line past the closing fence when it finds one; an unclosed fence stops at
  // the end of the document with content up to there. The content of a closed fence ends before the closing
  // line, so a closed fence's map covers one more line than its content plus the opening line.
  const lines = token.map ? token.map[1] - token.map[0] : 0;
  const contentLines = token.content === '' ? 0 : token.content.split('\n').length - 1;
  return lines >= contentLines + 2;
}

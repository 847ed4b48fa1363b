/**
 * Math in markdown, as models write it: display math `$$…$$` and `\[…\]` (as blocks, or inside a paragraph),
 * inline math `\(…\)` and `$…$`. The parser only marks formulas: each becomes an inert
 * `<span class="llc-math" data-tex="…">` (a `<div>` for display math) holding its TeX source as text, so the
 * markdown stays sanitised HTML and a formula that never renders still reads as its source. KaTeX, loaded on
 * first use as a separate chunk, renders the marks (./math-render.ts).
 *
 * Inline `$…$` must not fire on money ("$5 and $10", "US$20", "$1,000.50"), so it follows Pandoc's rule and
 * one more: the opening `$` is followed by a non-space, the closing `$` is preceded by a non-space and not
 * followed by a digit; and a formula that starts with a digit and holds a space must hold some TeX (`\ ^ _ =
 * { }`), so "$5 USD and 3$" stays text. `\$` is a literal dollar.
 */
import type MarkdownIt from 'markdown-it';

type StateInline = Parameters<MarkdownIt['inline']['ruler']['push']>[1] extends (
  state: infer S,
  silent: boolean,
) => boolean
  ? S
  : never;
type StateBlock = Parameters<MarkdownIt['block']['ruler']['push']>[1] extends (
  state: infer S,
  startLine: number,
  endLine: number,
  silent: boolean,
) => boolean
  ? S
  : never;

const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
const TEX_HINT = /[\\^_={}]/;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a;
}
function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Whether `$…$` content (between the dollars) reads as math rather than money. */
export function looksLikeInlineMath(content: string): boolean {
  if (content.length === 0) return false;
  if (isSpace(content.charCodeAt(0)) || isSpace(content.charCodeAt(content.length - 1))) return false;
  if (isDigit(content.charCodeAt(0)) && /\s/.test(content) && !TEX_HINT.test(content)) return false;
  return true;
}

/** `$…$`, `$$…$$` (display, inside a paragraph) and `\(…\)` within a line. */
function inlineMath(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  const code = src.charCodeAt(start);
  if (code === BACKSLASH && src.charCodeAt(start + 1) === 0x28 /* ( */) {
    const end = src.indexOf('\\)', start + 2);
    if (end === -1) return false;
    return push(state, silent, src.slice(start + 2, end), false, end + 2);
  }
  if (code === BACKSLASH && src.charCodeAt(start + 1) === 0x5b /* [ */) {
    const end = src.indexOf('\\]', start + 2);
    if (end === -1) return false;
    return push(state, silent, src.slice(start + 2, end), true, end + 2);
  }
  if (code !== DOLLAR) return false;
  if (src.charCodeAt(start + 1) === DOLLAR) {
    const end = src.indexOf('$$', start + 2);
    if (end === -1 || end === start + 2) return false;
    return push(state, silent, src.slice(start + 2, end), true, end + 2);
  }
  // A `$` right after a word character is money or a variable name in prose ("US$5"), never an opener.
  if (start > 0 && /[\p{L}\p{N}]/u.test(src[start - 1]!)) return false;
  let end = start + 1;
  for (;;) {
    end = src.indexOf('$', end);
    if (end === -1) return false;
    if (src.charCodeAt(end - 1) === BACKSLASH) {
      end++;
      continue;
    }
    // A closer preceded by a space or followed by a digit is not one ("$5 and $10"): no other closer can pair
    // with this opener without crossing it, so the opener is text.
    if (isSpace(src.charCodeAt(end - 1)) || isDigit(src.charCodeAt(end + 1))) return false;
    break;
  }
  const content = src.slice(start + 1, end);
  if (!looksLikeInlineMath(content)) return false;
  return push(state, silent, content, false, end + 1);
}

function push(state: StateInline, silent: boolean, tex: string, display: boolean, next: number): boolean {
  if (tex.trim().length === 0) return false;
  if (!silent) {
    const token = state.push(display ? 'math_inline_display' : 'math_inline', 'span', 0);
    token.content = tex;
    token.markup = display ? '$$' : '$';
  }
  state.pos = next;
  return true;
}

/** `$$` or `\[` starting a line, up to the line that closes it (`$$` / `\]`), as one display block. */
function blockMath(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineStart = state.bMarks[startLine]! + state.tShift[startLine]!;
  const lineEnd = state.eMarks[startLine]!;
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const first = state.src.slice(lineStart, lineEnd);
  const opener = first.startsWith('$$') ? '$$' : first.startsWith('\\[') ? '\\[' : undefined;
  if (!opener) return false;
  const closer = opener === '$$' ? '$$' : '\\]';
  let body = first.slice(2);
  let line = startLine;
  let closedAt = body.indexOf(closer);
  const parts: string[] = [];
  while (closedAt === -1) {
    parts.push(body);
    line++;
    if (line >= endLine) return false; // unclosed: text until it closes (it then renders once)
    body = state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]!);
    closedAt = body.indexOf(closer);
  }
  // Something after the closer on its line: leave it to the paragraph (inline display math).
  if (body.slice(closedAt + 2).trim() !== '') return false;
  parts.push(body.slice(0, closedAt));
  const tex = parts.join('\n').trim();
  if (!tex) return false;
  if (silent) return true;
  const token = state.push('math_block', 'div', 0);
  token.block = true;
  token.content = tex;
  token.markup = opener;
  token.map = [startLine, line + 1];
  state.line = line + 1;
  return true;
}

/** Adds the math rules and their renderers to a markdown-it instance. */
export function mathPlugin(md: MarkdownIt): void {
  // Before `escape`, which would read `\(` and `\[` as escaped brackets.
  md.inline.ruler.before('escape', 'math_inline', inlineMath);
  md.block.ruler.before('fence', 'math_block', blockMath, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  const escape = md.utils.escapeHtml;
  const mark = (tag: 'span' | 'div', display: boolean, tex: string) =>
    `<${tag} class="llc-math${display ? ' llc-math-display' : ''}" data-tex="${escape(tex)}">${escape(tex)}</${tag}>`;
  md.renderer.rules.math_inline = (tokens, idx) => mark('span', false, tokens[idx]!.content);
  md.renderer.rules.math_inline_display = (tokens, idx) => mark('span', true, tokens[idx]!.content);
  md.renderer.rules.math_block = (tokens, idx) => `${mark('div', true, tokens[idx]!.content)}\n`;
}

/**
 * Display-only repair of the open tail block while an answer streams, so half-written syntax never shows as
 * raw markup: an unfinished link shows its text, unclosed `**`, `_`, `~~` and backticks are closed, a table
 * whose header or delimiter row is still being written is held back, and a last line that so far holds only
 * block markers (`-`, `#`, `1.`, `>`) waits for its content. The repaired text is never frozen: the final
 * render always uses the real text.
 */

/** A trailing line of markers only: too early to know what it becomes (list, heading, rule, setext…). */
const MARKERS_ONLY = /^[ \t]*(?:[-+*=_#>|:~`]+|\d+[.)]?)[ \t]*$/;
/** A row that may become a table delimiter row. */
const DELIMITER_ROW = /^[ \t]*\|?[ \t]*:?-*:?[ \t]*(\|[ \t]*:?-*:?[ \t]*)*\|?[ \t]*$/;

/**
 * Repairs `block`, the source of the last (open) top-level block, which is a paragraph-like block whose text
 * is not inside a code fence. `isParagraph` enables the table hold-back.
 */
export function repairTail(block: string, isParagraph: boolean): string {
  let text = block;
  const lastNewline = text.lastIndexOf('\n');
  const lastLine = text.slice(lastNewline + 1);
  if (lastLine !== '' && MARKERS_ONLY.test(lastLine)) text = text.slice(0, lastNewline + 1);
  if (isParagraph) text = holdBackTable(text);
  return closeInline(text);
}

/** Cuts a table-to-be (one or two trailing lines with pipes, the second a partial delimiter row). */
function holdBackTable(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const n = lines.length;
  const last = lines[n - 1] ?? '';
  const prev = lines[n - 2];
  if (prev !== undefined && prev.includes('|') && last.includes('-') && DELIMITER_ROW.test(last))
    return lines.slice(0, n - 2).join('\n');
  if (last.includes('|') && (prev === undefined || !prev.includes('|'))) return lines.slice(0, n - 1).join('\n');
  return text;
}

/** Unfinished links become their text; unclosed code spans and emphasis are closed in nesting order. */
export function closeInline(input: string): string {
  let text = input;
  // `[text](partial-url` / `![alt](partial` / `[text` / `[text]` at the very end.
  text = text.replace(/(!?)\[([^[\]\n]*)\](?:\([^)\n]*)?$/, (_m, bang: string, label: string) => (bang ? '' : label));
  text = text.replace(/(!?)\[([^[\]\n]*)$/, (_m, bang: string, label: string) => (bang ? '' : label));
  // A marker run at the very end with nothing after it yet (`foo **`) is dropped rather than closed.
  text = text.replace(/(^|\s)[*_~`]+$/, '$1');

  const closers: { at: number; marker: string }[] = [];
  // Code spans first: inside them no emphasis counts.
  const codeRanges: [number, number][] = [];
  const runs = [...text.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!;
    const close = runs.slice(i + 1).find((r) => r[0].length === open[0].length);
    if (!close) {
      closers.push({ at: open.index, marker: open[0] });
      codeRanges.push([open.index, text.length]);
      break;
    }
    codeRanges.push([open.index, close.index + close[0].length]);
    i = runs.indexOf(close);
  }
  const inCode = (at: number) => codeRanges.some(([a, b]) => at >= a && at < b);

  for (const char of ['*', '_', '~']) {
    // A run of n markers counts n/2 doubles and n%2 singles (`***x` opens both `**` and `*`).
    const open = { double: { count: 0, at: -1 }, single: { count: 0, at: -1 } };
    for (const m of text.matchAll(new RegExp(`\\${char}+`, 'g'))) {
      if (inCode(m.index)) continue;
      const before = text[m.index - 1] ?? ' ';
      const after = text[m.index + m[0].length] ?? ' ';
      // snake_case and 2*3 are not emphasis; a list bullet (`* item`) is not either.
      if (char !== '~' && /\w/.test(before) && /\w/.test(after) && (char === '_' || /\d/.test(before))) continue;
      if (char === '*' && m[0].length === 1 && after === ' ' && /(^|\n)[ \t]*$/.test(text.slice(0, m.index))) continue;
      const doubles = Math.floor(m[0].length / 2);
      const singles = m[0].length % 2;
      for (const [kind, n] of [
        ['double', doubles],
        ['single', singles],
      ] as const) {
        if (n === 0) continue;
        open[kind].count += n;
        if (open[kind].count % 2 === 1) open[kind].at = m.index;
      }
    }
    if (open.double.count % 2 === 1 && char !== '~') closers.push({ at: open.double.at, marker: char + char });
    if (char === '~' && open.double.count % 2 === 1) closers.push({ at: open.double.at, marker: '~~' });
    if (open.single.count % 2 === 1 && char !== '~') closers.push({ at: open.single.at, marker: char });
  }
  if (closers.length === 0) return text;
  closers.sort((a, b) => b.at - a.at);
  return text.trimEnd() + closers.map((c) => c.marker).join('');
}

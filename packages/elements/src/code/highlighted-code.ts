/**
 * Highlighted code as plain data: the code's text, plus span boundaries as offsets into it. The highlighter
 * (in a worker or inline) turns its HTML into this; the main thread builds `<span class>` elements from it with
 * text nodes only, so highlighted code never goes through an HTML sink (no sanitiser needed, Trusted Types
 * friendly). The boundaries are one transferable `Uint32Array`: receiving a list of ~90,000 small objects
 * instead cost the page measurably more (its longest stall was 50 ms instead of 33 in `npm run bench:ui`).
 */

export interface Highlighted {
  /** The code (equals the highlighted source). */
  text: string;
  /** Pairs (offset into `text`, op): op 0 closes the innermost span, op k > 0 opens a span of `classes[k - 1]`. */
  marks: Uint32Array;
  /** Distinct class names, referenced by `marks`. */
  classes: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'", '#39': "'" };
const TAG_OR_TEXT = /<span class="([\w\- ]*)">|<\/span>|([^<]+)/gy;

/**
 * Parses highlight.js output (escaped text and `<span class="…">`…`</span>`, nothing else).
 * Returns undefined for anything else (unbalanced spans, other tags, unknown entities): the caller then shows
 * the code as plain text rather than trusting unexpected markup.
 */
export function parseHighlightHtml(html: string): Highlighted | undefined {
  const texts: string[] = [];
  const marks: number[] = [];
  const classes: string[] = [];
  const classIndex = new Map<string, number>();
  let offset = 0;
  let depth = 0;
  TAG_OR_TEXT.lastIndex = 0;
  while (TAG_OR_TEXT.lastIndex < html.length) {
    const at = TAG_OR_TEXT.lastIndex;
    const m = TAG_OR_TEXT.exec(html);
    if (!m || m.index !== at) return undefined;
    if (m[1] !== undefined) {
      let k = classIndex.get(m[1]);
      if (k === undefined) classIndex.set(m[1], (k = classes.push(m[1])));
      marks.push(offset, k);
      depth++;
    } else if (m[2] !== undefined) {
      const text = unescape(m[2]);
      if (text === undefined) return undefined;
      texts.push(text);
      offset += text.length;
    } else {
      if (depth === 0) return undefined;
      marks.push(offset, 0);
      depth--;
    }
  }
  return depth === 0 ? { text: texts.join(''), marks: Uint32Array.from(marks), classes } : undefined;
}

function unescape(text: string): string | undefined {
  if (!text.includes('&')) return text;
  let ok = true;
  const result = text.replace(/&([#\w]+);|&/g, (whole, name: string | undefined) => {
    const char = name === undefined ? undefined : ENTITIES[name];
    if (char === undefined) ok = false;
    return char ?? whole;
  });
  return ok ? result : undefined;
}

/** Lines per chunk of a highlighted block (see {@link buildChunks}). */
export const CHUNK_LINES = 40;

/**
 * Builds the DOM for highlighted code as blocks of {@link CHUNK_LINES} lines (`<span class="code-chunk">`, styled
 * `content-visibility: auto`), yielding between slices while `shouldYield()` says so: a large block has tens of
 * thousands of spans, and building them in one task would be a long task. Spans that cross a chunk boundary
 * are closed and reopened in the next chunk.
 *
 * Why chunks: laying out ~90,000 spans in one go took 846 ms in one task in Chromium 156 here, while chunks
 * off screen are skipped and the caller swaps them in one per frame (see code-block.ts).
 */
export async function buildChunks(
  highlighted: Highlighted,
  shouldYield: () => boolean,
  pause: () => Promise<void>,
): Promise<HTMLElement[]> {
  const { text: code, marks, classes: names } = highlighted;
  const chunks: HTMLElement[] = [];
  /** Class names of the open spans, outermost first. */
  const classes: string[] = [];
  /** The current chunk and its open spans. */
  let stack: ParentNode[] = [];
  let lines = 0;
  let endsWithNewline = false;
  let full = true;
  const span = (className: string) => {
    const el = document.createElement('span');
    el.className = className;
    stack[stack.length - 1]!.append(el);
    stack.push(el);
  };
  const begin = () => {
    const chunk = newChunk();
    chunks.push(chunk);
    stack = [chunk];
    for (const c of classes) span(c);
    lines = 0;
    full = false;
  };
  const addText = (from: number, to: number) => {
    let text = code.slice(from, to);
    while (text !== '') {
      if (full) begin();
      const cut = afterNewline(text, CHUNK_LINES - lines);
      if (cut === -1) {
        stack[stack.length - 1]!.append(text);
        lines += newlines(text);
        endsWithNewline = text.endsWith('\n');
        return;
      }
      stack[stack.length - 1]!.append(text.slice(0, cut));
      text = text.slice(cut);
      full = true;
    }
  };
  let offset = 0;
  for (let i = 0; i <= marks.length; i += 2) {
    const at = i < marks.length ? marks[i]! : code.length;
    if (at > offset) addText(offset, at);
    offset = at;
    if (i === marks.length) break;
    const op = marks[i + 1]!;
    if (op === 0) {
      classes.pop();
      stack.pop();
    } else {
      if (full) begin();
      span(names[op - 1]!);
      classes.push(names[op - 1]!);
    }
    if ((i & 511) === 510 && shouldYield()) await pause();
  }
  if (!full) sizeLastChunk(chunks, lines + (endsWithNewline ? 0 : 1));
  return chunks;
}

/**
 * A plain-text copy of each chunk (same class and placeholder size, text only: cheap to lay out), shown until
 * the highlighted chunk replaces it.
 */
export function plainCopies(chunks: readonly HTMLElement[]): HTMLElement[] {
  return chunks.map((chunk) => {
    const copy = chunk.cloneNode(false) as HTMLElement;
    copy.textContent = chunk.textContent;
    return copy;
  });
}

function newChunk(): HTMLElement {
  const chunk = document.createElement('span');
  chunk.className = 'code-chunk';
  return chunk;
}

/** The last chunk is usually shorter: its placeholder height (until first shown) should say so. */
function sizeLastChunk(chunks: HTMLElement[], lines: number): void {
  chunks[chunks.length - 1]?.style.setProperty('--llc-chunk-lines', String(lines));
}

/** Index just after the `n`-th newline of `text`, or -1 if it has fewer. */
function afterNewline(text: string, n: number): number {
  let at = -1;
  for (let k = 0; k < n; k++) {
    at = text.indexOf('\n', at + 1);
    if (at === -1) return -1;
  }
  return at + 1;
}

function newlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

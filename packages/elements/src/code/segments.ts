/**
 * Highlighted code as plain data: a flat list of text runs and span boundaries. The highlighter (in a worker
 * or inline) turns its HTML into segments; the main thread builds `<span class>` elements from them with
 * `textContent` only, so highlighted code never goes through an HTML sink (no sanitiser needed, Trusted Types
 * friendly) and the data crosses `postMessage` cheaply.
 */

/** A text run, the start of a span with class names, or the end of the innermost open span. */
export type Segment = string | { open: string } | 0;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'", '#39': "'" };
const TAG_OR_TEXT = /<span class="([\w\- ]*)">|<\/span>|([^<]+)/gy;

/**
 * Parses highlight.js output (escaped text and `<span class="…">`…`</span>`, nothing else) into segments.
 * Returns undefined for anything else (unbalanced spans, other tags, unknown entities): the caller then shows
 * the code as plain text rather than trusting unexpected markup.
 */
export function segmentsFromHighlightHtml(html: string): Segment[] | undefined {
  const out: Segment[] = [];
  let depth = 0;
  TAG_OR_TEXT.lastIndex = 0;
  while (TAG_OR_TEXT.lastIndex < html.length) {
    const at = TAG_OR_TEXT.lastIndex;
    const m = TAG_OR_TEXT.exec(html);
    if (!m || m.index !== at) return undefined;
    if (m[1] !== undefined) {
      out.push({ open: m[1] });
      depth++;
    } else if (m[2] !== undefined) {
      const text = unescape(m[2]);
      if (text === undefined) return undefined;
      out.push(text);
    } else {
      if (depth === 0) return undefined;
      out.push(0);
      depth--;
    }
  }
  return depth === 0 ? out : undefined;
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

/** The text the segments spell (equals the highlighted code). */
export function segmentsText(segments: readonly Segment[]): string {
  let text = '';
  for (const s of segments) if (typeof s === 'string') text += s;
  return text;
}

/**
 * Builds the DOM for `segments` into a fragment, in slices, yielding between them while `shouldYield()` says
 * so (a large block has tens of thousands of spans; building them in one task would be a long task).
 */
export async function buildSegments(segments: readonly Segment[], shouldYield: () => boolean, pause: () => Promise<void>): Promise<DocumentFragment> {
  const fragment = document.createDocumentFragment();
  const stack: ParentNode[] = [fragment];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const parent = stack[stack.length - 1]!;
    if (typeof s === 'string') parent.append(s);
    else if (s === 0) stack.pop();
    else {
      const span = document.createElement('span');
      span.className = s.open;
      parent.append(span);
      stack.push(span);
    }
    if ((i & 255) === 255 && shouldYield()) await pause();
  }
  return fragment;
}

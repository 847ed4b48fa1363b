/**
 * Most updates of a streaming block only add words to its last line: the new HTML is the old one with plain
 * text inserted into one text run. Such a change is applied by inserting that text into the existing text
 * node instead of rendering the block again: no HTML parsing, no sanitising (a text node cannot carry markup)
 * and no replaced nodes for the browser to lay out. Anything else (a new tag, an entity, a change inside a
 * tag) is left to a full render, and so is a text node that does not hold exactly the expected text.
 */

/** A text insertion found by comparing a block's old and new HTML. */
export interface TextInsertion {
  /** Index of the text node among the block's text nodes, in document order. */
  index: number;
  /** The text node's current text (HTML entities decoded). */
  current: string;
  /** Where in that text the insertion goes. */
  offset: number;
  /** The inserted text. */
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot);/g;
const DECODED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

/** markdown-it escapes exactly these four in text. */
function decode(html: string): string {
  return html.includes('&') ? html.replace(ENTITY, (_m, name: string) => DECODED[name]!) : html;
}

/** Finds `newHtml` = `oldHtml` with literal text inserted into one existing text run, if that is the change. */
export function findTextInsertion(oldHtml: string, newHtml: string): TextInsertion | undefined {
  const max = oldHtml.length;
  if (newHtml.length <= max) return undefined;
  let p = 0;
  while (p < max && oldHtml.charCodeAt(p) === newHtml.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && oldHtml.charCodeAt(max - 1 - s) === newHtml.charCodeAt(newHtml.length - 1 - s)) s++;
  if (p + s !== max) return undefined;
  const text = newHtml.slice(p, newHtml.length - s);
  if (/[<>&]/.test(text)) return undefined;
  // The insertion point must lie in a non-empty text run (markdown-it escapes `<` and `>` everywhere else,
  // so they only delimit tags), not inside a tag or between two tags.
  const gt = oldHtml.lastIndexOf('>', p - 1);
  if (oldHtml.lastIndexOf('<', p - 1) > gt) return undefined;
  const start = gt + 1;
  const lt = oldHtml.indexOf('<', p);
  const end = lt === -1 ? max : lt;
  if (end === start) return undefined;
  const before = oldHtml.slice(start, p);
  // Never split an entity: the offset would not be a text offset.
  if (/&[a-z]*$/.test(before)) return undefined;
  let index = start > 0 && oldHtml.charCodeAt(0) !== 60 ? 1 : 0;
  for (let i = oldHtml.indexOf('>'); i !== -1 && i < start - 1; i = oldHtml.indexOf('>', i + 1)) {
    if (oldHtml.charCodeAt(i + 1) !== 60) index++;
  }
  return { index, current: decode(oldHtml.slice(start, end)), offset: decode(before).length, text };
}

/** Applies an insertion to a block's nodes; false (nothing changed) when the DOM is not as expected. */
export function applyTextInsertion(nodes: readonly Node[], insertion: TextInsertion): boolean {
  let seen = 0;
  for (const root of nodes) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = root.nodeType === Node.TEXT_NODE ? root : walker.nextNode(); node; node = walker.nextNode()) {
      if (seen++ !== insertion.index) continue;
      const text = node as Text;
      if (text.data !== insertion.current) return false;
      text.insertData(insertion.offset, insertion.text);
      return true;
    }
  }
  return false;
}

/**
 * HTML character references (`&copy;`, `&#x2014;`) decoded by the browser's own HTML parser, as a drop-in for
 * the two functions markdown-it imports from `entities`.
 *
 * Why: `entities` carries a table of all 2,231 named references, 22 KB of the single-file bundle after gzip
 * (a fifth of it), to decode the few entities a model ever writes. The browser already holds that table. The
 * bundle (`npm run bundle`) and the demo alias `entities` to this module; an app bundling the elements itself
 * can do the same (`@locallightchat/elements/browser-entity-decoder`). A browser test checks that both
 * functions give exactly what `entities` gives, for every named reference and for malformed ones.
 *
 * How: only references (`&`, `#`, letters, digits, `;`) are handed to the parser (so no markup can be in them),
 * through a private DOMPurify instance, which parses in an inert document and is Trusted Types friendly. Each
 * distinct reference is parsed once.
 */
import DOMPurify from 'dompurify';

/**
 * A character reference as HTML's tokenizer reads one: a name, or `#` with decimal or `#x` with hex digits.
 * Digits are required: Chromium turns a digitless `&#x;` into U+FFFD where `entities` leaves it as written.
 */
const REFERENCE = /&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);?/g;
/** Only semicolon-terminated references decode in strict mode (CommonMark's rule for entities in text). */
const TERMINATED_REFERENCE = /&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);/g;

let purify: ReturnType<typeof DOMPurify> | undefined;
const decoded = new Map<string, string>();
/** Bounds the cache: a model writing endless made-up references must not grow it forever. */
const MAX_CACHED = 4096;

/** What the HTML parser makes of `reference` in text: its character(s), or the reference as written. */
function parse(reference: string): string {
  let text = decoded.get(reference);
  if (text === undefined) {
    purify ??= DOMPurify(window);
    text = purify.sanitize(reference, { RETURN_DOM_FRAGMENT: true }).textContent ?? reference;
    if (decoded.size >= MAX_CACHED) decoded.clear();
    decoded.set(reference, text);
  }
  return text;
}

/**
 * Decodes character references the way HTML does in text, including legacy ones written without `;`
 * (`&copy` → ©, `&notit;` → ¬it;). Same contract as `decodeHTML` from `entities`.
 */
export function decodeHTML(str: string): string {
  return str.indexOf('&') < 0 ? str : str.replace(REFERENCE, parse);
}

/**
 * Decodes only complete, semicolon-terminated references (`&copy;` → ©; `&copy` and `&notit;` stay as
 * written). Same contract as `decodeHTMLStrict` from `entities`.
 */
export function decodeHTMLStrict(str: string): string {
  return str.indexOf('&') < 0
    ? str
    : str.replace(TERMINATED_REFERENCE, (reference) => {
        const text = parse(reference);
        // The parser matched only a legacy prefix (`&not` of `&notit;`) if the rest came back as written, which
        // always ends in the `;`. The one reference whose own character is `;` is `&semi;`.
        return text.endsWith(';') && text !== ';' ? reference : text;
      });
}

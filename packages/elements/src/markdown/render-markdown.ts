/**
 * Safe markdown → HTML. markdown-it parses (CommonMark), raw HTML from the model is never rendered
 * (`html: false`), link and image URLs pass an allow-list, and DOMPurify sanitises the result as a second
 * line of defence.
 *
 * The HTML is inert: a link carries its URL in `data-llc-href` (no `href`, so it is not clickable) and an
 * image is a `<span class="llc-image" data-llc-src>` holding its alt text (no `<img>`, so nothing is fetched,
 * not even when the sanitiser's fragment is adopted into the page). Only a block whose markdown is complete
 * is activated (safe-content.ts): links get their `href`, images a "Load image" placeholder or, for an
 * allow-listed origin, the image. So a half-streamed URL is never fetched nor clickable.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import { mathPlugin } from '../math/math-syntax.js';

type Token = ReturnType<MarkdownIt['parse']>[number];

const LINK_SCHEMES = /^(https?:\/\/|mailto:)/i;
const IMAGE_SCHEMES = /^https?:\/\//i;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Whether a URL may be a link target: absolute `http(s)://` or `mailto:` only. Relative URLs and fragments are
 * refused too: an answer's `[x](/api/logout)` would resolve against the app's own origin.
 */
export function isSafeUrl(url: string): boolean {
  const trimmed = url.trim();
  return LINK_SCHEMES.test(trimmed) && !CONTROL.test(trimmed);
}

/** Whether a URL may be an image source: absolute `http(s)://` only. */
export function isSafeImageUrl(url: string): boolean {
  const trimmed = url.trim();
  return IMAGE_SCHEMES.test(trimmed) && !CONTROL.test(trimmed);
}

export function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  md.validateLink = isSafeUrl;
  md.use(mathPlugin);
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    // The token is copied: markdown-it's tokens belong to the caller's parse and may be rendered again.
    const token = Object.assign(Object.create(Object.getPrototypeOf(tokens[idx]) as object) as Token, tokens[idx]);
    token.attrs = (token.attrs ?? []).map(([name, value]) => [name === 'href' ? 'data-llc-href' : name, value]);
    const copy = tokens.slice();
    copy[idx] = token;
    return defaultLinkOpen(copy, idx, options, env, self);
  };
  // A table column's alignment as `data-align`, not markdown-it's inline `style="text-align:…"`: a page whose CSP
  // has no 'unsafe-inline' in style-src refuses style attributes (one violation report per cell) and drops the
  // alignment; a data attribute and a rule in the message's styles keep it under any CSP.
  md.renderer.rules.th_open = md.renderer.rules.td_open = (tokens, idx, options, _env, self) => {
    const token = Object.assign(Object.create(Object.getPrototypeOf(tokens[idx]) as object) as Token, tokens[idx]);
    token.attrs = (token.attrs ?? []).map(([name, value]) => {
      const align = name === 'style' ? /^text-align:(left|right|center)$/.exec(value)?.[1] : undefined;
      return align ? ['data-align', align] : [name, value];
    });
    const copy = tokens.slice();
    copy[idx] = token;
    return self.renderToken(copy, idx, options);
  };
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const escape = md.utils.escapeHtml;
    const title = token.attrGet('title');
    const alt = self.renderInlineAsText(token.children ?? [], options, env);
    return (
      `<span class="llc-image" data-llc-src="${escape(token.attrGet('src') ?? '')}"` +
      `${title ? ` data-llc-title="${escape(title)}"` : ''}>${escape(alt)}</span>`
    );
  };
  return md;
}

let shared: MarkdownIt | undefined;
const PURIFY_CONFIG = {
  ADD_ATTR: ['target'],
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'audio', 'video', 'source', 'track', 'picture', 'iframe'],
};

type Purifier = ReturnType<typeof DOMPurify>;
let stringPurifier: Purifier | undefined;
let fragmentPurifier: Purifier | undefined;

/**
 * A private DOMPurify instance with our hook and a fixed config: the page's own global DOMPurify is left
 * alone (our link rules must not apply to the app's sanitising), and the config is parsed once instead of on
 * every call (that was a measurable share of each streamed frame).
 */
function purifier(fragment: boolean): Purifier {
  const purify = DOMPurify(window);
  purify.addHook('afterSanitizeAttributes', (node) => {
    // Whatever the HTML says, nothing leaves here fetchable or clickable: URLs only in data attributes, checked.
    if (node instanceof HTMLAnchorElement) {
      node.removeAttribute('href');
      if (!isSafeUrl(node.getAttribute('data-llc-href') ?? '')) node.removeAttribute('data-llc-href');
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    if (node instanceof HTMLImageElement) node.removeAttribute('src');
    if (node.hasAttribute('srcset')) node.removeAttribute('srcset');
    if (node.hasAttribute('data-llc-src') && !isSafeImageUrl(node.getAttribute('data-llc-src') ?? ''))
      node.removeAttribute('data-llc-src');
  });
  purify.setConfig(fragment ? { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true } : PURIFY_CONFIG);
  return purify;
}

/** Sanitises HTML produced by our renderer (a second line of defence after markdown-it's own escaping). */
export function sanitize(html: string): string {
  stringPurifier ??= purifier(false);
  return stringPurifier.sanitize(html);
}

/** The shared parser instance (created on first use). */
export function sharedMarkdown(): MarkdownIt {
  shared ??= createMarkdown();
  return shared;
}

/** Renders a whole markdown text to sanitised HTML. */
export function renderMarkdown(text: string): string {
  return sanitize(sharedMarkdown().render(text));
}

/**
 * Sanitises HTML into DOM nodes directly (no string → innerHTML sink in our code, so it works under a Trusted
 * Types policy that forbids string assignments).
 */
export function sanitizeToFragment(html: string): DocumentFragment {
  fragmentPurifier ??= purifier(true);
  return fragmentPurifier.sanitize(html) as unknown as DocumentFragment;
}

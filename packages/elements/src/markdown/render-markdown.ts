/**
 * Safe markdown → HTML. markdown-it parses (CommonMark), raw HTML from the model is never rendered
 * (`html: false`), link and image URLs pass an allow-list, and DOMPurify sanitises the result as a second
 * line of defence. Links open in a new tab without an opener; images load lazily.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const ALLOWED_SCHEMES = /^(https?:|mailto:)/i;

/** Whether a URL may appear as a link or image source (relative URLs and fragments are fine). */
export function isSafeUrl(url: string): boolean {
  const trimmed = url.trim();
  if (trimmed.startsWith('#') || trimmed.startsWith('/') || trimmed.startsWith('./') || trimmed.startsWith('../'))
    return true;
  // No scheme at all (e.g. "page.html") is relative; anything with a scheme must be allow-listed.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  return scheme === null ? !/[\u0000-\u001f]/.test(trimmed) : ALLOWED_SCHEMES.test(trimmed);
}

export function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  md.validateLink = isSafeUrl;
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    token.attrSet('target', '_blank');
    token.attrSet('rel', 'noopener noreferrer');
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  const defaultImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    tokens[idx]!.attrSet('loading', 'lazy');
    tokens[idx]!.attrSet('decoding', 'async');
    return defaultImage(tokens, idx, options, env, self);
  };
  return md;
}

let shared: MarkdownIt | undefined;
const PURIFY_CONFIG = {
  ADD_ATTR: ['target', 'loading', 'decoding'],
  FORBID_TAGS: ['style', 'form', 'input', 'button'],
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
    if (node instanceof HTMLAnchorElement) {
      if (!isSafeUrl(node.getAttribute('href') ?? '')) node.removeAttribute('href');
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    if (node instanceof HTMLImageElement && !isSafeUrl(node.getAttribute('src') ?? '')) node.removeAttribute('src');
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

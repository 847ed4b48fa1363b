/**
 * Activates the inert links and images of a block whose markdown is complete (a frozen block; see
 * render-markdown.ts for the inert form). Links get their `href` (http(s) and mailto only, new tab, no opener,
 * no referrer) and, when their text does not already name it, the real host beside the text. Images from an
 * allow-listed origin are shown; any other image becomes a placeholder naming its host with a "Load image"
 * button, so an answer cannot make the page fetch a URL (a tracking beacon) before the reader asks.
 * Everything is built with DOM calls (no HTML strings), so it works under Trusted Types.
 */
import { isSafeImageUrl, isSafeUrl } from './render-markdown.js';

/** Wording of the placeholder (a subset of the elements' ChatStrings). */
export interface SafeContentStrings {
  /** The placeholder's button. */
  loadImage: string;
  /** The placeholder's line naming the host the image would come from. */
  imageFrom: (host: string) => string;
}

export interface SafeContentPolicy {
  /** Origins (`https://cdn.example.com`) whose images load without asking. */
  imageOrigins: ReadonlySet<string>;
  strings: SafeContentStrings;
}

/** Image URLs the reader asked to load in this page: shown directly when their block is rendered again. */
const approvedImages = new Set<string>();

/** Normalises a list of origins (`https://a.example/any/path` → `https://a.example`); bad entries are skipped. */
export function imageOriginSet(origins: Iterable<string>): Set<string> {
  const set = new Set<string>();
  for (const entry of origins) {
    try {
      const origin = new URL(entry).origin;
      if (origin !== 'null') set.add(origin);
    } catch {
      // Not a URL: not an origin anyone can be allowed from.
    }
  }
  return set;
}

/** Activates links and images inside `nodes` (top-level nodes of one block), in place. */
export function activateBlock(nodes: readonly Node[], policy: SafeContentPolicy): void {
  for (const root of nodes) {
    if (!(root instanceof Element)) continue;
    for (const a of matching<HTMLAnchorElement>(root, 'a[data-llc-href]')) activateLink(a);
    for (const span of matching<HTMLElement>(root, 'span.llc-image')) activateImage(span, policy);
  }
}

function matching<T extends Element>(root: Element, selector: string): T[] {
  const found = [...root.querySelectorAll<T>(selector)];
  return root.matches(selector) ? [root as T, ...found] : found;
}

function activateLink(a: HTMLAnchorElement): void {
  const href = a.getAttribute('data-llc-href') ?? '';
  a.removeAttribute('data-llc-href');
  if (!isSafeUrl(href)) return;
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.referrerPolicy = 'no-referrer';
  const host = hostOf(href);
  if (!host || namesHost(a.textContent ?? '', host)) return;
  const label = document.createElement('span');
  label.className = 'link-host';
  label.setAttribute('part', 'link-host');
  label.textContent = ` (${host})`;
  a.append(label);
}

/** The host a URL really goes to (punycode for international names, so look-alike letters show). */
function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.host : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a link's text is its own URL or host (an autolink), so showing the host again is noise. */
function namesHost(text: string, host: string): boolean {
  const shown = text
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  if (!shown.startsWith(host)) return false;
  const rest = shown.slice(host.length);
  return rest === '' || /^[/?#:]/.test(rest);
}

function activateImage(span: HTMLElement, policy: SafeContentPolicy): void {
  const src = span.getAttribute('data-llc-src') ?? '';
  const alt = span.textContent ?? '';
  const title = span.getAttribute('data-llc-title');
  if (!isSafeImageUrl(src)) {
    // Not an image we would ever load: its alt text stays, as plain text.
    span.replaceWith(document.createTextNode(alt));
    return;
  }
  const url = new URL(src);
  if (policy.imageOrigins.has(url.origin) || approvedImages.has(url.href)) {
    span.replaceWith(image(url.href, alt, title, true));
    return;
  }
  span.replaceWith(placeholder(url, alt, title, policy.strings));
}

function image(src: string, alt: string, title: string | null, lazy: boolean): HTMLImageElement {
  const img = document.createElement('img');
  img.alt = alt;
  if (title) img.title = title;
  img.referrerPolicy = 'no-referrer';
  img.decoding = 'async';
  if (lazy) img.loading = 'lazy';
  img.setAttribute('part', 'image');
  img.src = src;
  return img;
}

function placeholder(url: URL, alt: string, title: string | null, strings: SafeContentStrings): HTMLElement {
  const box = document.createElement('span');
  box.className = 'image-placeholder';
  box.setAttribute('part', 'image-placeholder');
  box.setAttribute('data-src', url.href);
  if (alt) {
    const altText = document.createElement('span');
    altText.className = 'image-alt';
    altText.textContent = alt;
    box.append(altText, ' ');
  }
  const from = document.createElement('span');
  from.className = 'image-host';
  from.textContent = strings.imageFrom(url.host);
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('part', 'image-load-button');
  button.textContent = strings.loadImage;
  button.addEventListener(
    'click',
    () => {
      approvedImages.add(url.href);
      const img = image(url.href, alt, title, false);
      // Focus stays in the message rather than falling back to the page when the button goes away.
      img.tabIndex = -1;
      box.replaceWith(img);
      img.focus({ preventScroll: true });
    },
    { once: true },
  );
  box.append(from, ' ', button);
  return box;
}

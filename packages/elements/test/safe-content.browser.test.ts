/**
 * Safe output by default: images in answers load only when the reader asks (or from an allow-listed origin),
 * nothing is fetched or clickable before its markdown is complete, links show their real host and open
 * without opener or referrer, only http(s)/mailto links exist. Network activity is read from the browser's
 * own resource timing entries (every fetch an <img> starts is one).
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/index.js';
import type { LlcMessage } from '../src/index.js';
import { isSafeImageUrl, isSafeUrl, renderMarkdown } from '../src/markdown/render-markdown.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

/** Every URL an image element fetched since the test began (partial URLs included: they need no marker). */
function fetched(): string[] {
  return (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
    .filter((e) => e.initiatorType === 'img')
    .map((e) => e.name);
}

/** Resolves when every image in `root` has loaded or failed (so its resource timing entry exists). */
async function imagesSettled(root: Element): Promise<void> {
  await Promise.all(
    [...root.querySelectorAll('img')].map(
      (img) =>
        new Promise<void>((resolve) => {
          if (img.complete) return resolve();
          img.addEventListener('error', () => resolve(), { once: true });
          img.addEventListener('load', () => resolve(), { once: true });
        }),
    ),
  );
  for (let i = 0; i < 5; i++) await frame();
}

/** A same-origin URL that exists (the test server serves the repository), unique per test. */
function beaconUrl(): string {
  return `${location.origin}/package.json?beacon=${Math.random().toString(36).slice(2)}`;
}

beforeEach(() => {
  performance.setResourceTimingBufferSize(10_000);
  performance.clearResourceTimings();
});

async function message(imageOrigins: string[] = []): Promise<LlcMessage> {
  const el = await fixture<LlcMessage>(
    html`<llc-message role-name="assistant" status="streaming" .imageOrigins=${imageOrigins}></llc-message>`,
  );
  return el;
}

/** Streams `text` into the message in small pieces, calling `check` after each rendered step. */
async function stream(el: LlcMessage, text: string, check: (shown: string) => void): Promise<void> {
  for (let at = 1; at <= text.length; at += 2) {
    el.text = text.slice(0, at);
    await el.updateComplete;
    el.flush();
    check(el.text);
  }
  el.text = text;
  el.status = 'done';
  await el.updateComplete;
  el.flush();
}

const content = (el: LlcMessage) => el.shadowRoot!.querySelector('.markdown')!;

describe('safe output', () => {
  it('renderMarkdown is inert: no <img>, no href, URLs only in checked data attributes', () => {
    const div = document.createElement('div');
    div.innerHTML = renderMarkdown('[a](https://a.example/x) ![b](https://i.example/b.png "T") <https://c.example>');
    expect(div.querySelector('img')).to.equal(null);
    expect(div.querySelector('[href]')).to.equal(null);
    expect([...div.querySelectorAll('a')].map((a) => a.getAttribute('data-llc-href'))).to.deep.equal([
      'https://a.example/x',
      'https://c.example',
    ]);
    const image = div.querySelector('span.llc-image')!;
    expect(image.getAttribute('data-llc-src')).to.equal('https://i.example/b.png');
    expect(image.getAttribute('data-llc-title')).to.equal('T');
    expect(image.textContent).to.equal('b');
  });

  it('only absolute http(s) and mailto links; only http(s) images', () => {
    expect(isSafeUrl('https://a.b')).to.equal(true);
    expect(isSafeUrl('mailto:x@y.z')).to.equal(true);
    for (const bad of ['/relative', '#frag', 'page.html', 'javascript:alert(1)', 'data:text/html,x', 'ftp://a.b'])
      expect(isSafeUrl(bad), bad).to.equal(false);
    expect(isSafeImageUrl('https://a.b/i.png')).to.equal(true);
    expect(isSafeImageUrl('mailto:x@y.z')).to.equal(false);
    expect(isSafeImageUrl('//a.b/i.png')).to.equal(false);
  });

  it('an external image streams in as text, then shows a placeholder; nothing is fetched until "Load image", then once', async () => {
    const url = beaconUrl();
    const el = await message();
    const text = `Here is the chart:\n\n![Sales chart](${url})\n\nAnd [the report](https://reports.example/q3).\n`;
    await stream(el, text, () => {
      expect(content(el).querySelector('img'), 'no <img> while streaming').to.equal(null);
      for (const a of content(el).querySelectorAll('a[href]'))
        expect(a.getAttribute('href'), 'only complete links are clickable').to.equal('https://reports.example/q3');
    });
    for (let i = 0; i < 5; i++) await frame();
    expect(fetched(), 'nothing fetched while streaming or after').to.deep.equal([]);
    const box = content(el).querySelector<HTMLElement>('.image-placeholder')!;
    expect(box.textContent).to.contain('Sales chart');
    expect(box.textContent).to.contain(`Image from ${location.host}`);
    expect(await axe(el)).to.deep.equal([]);
    const button = box.querySelector('button')!;
    expect(button.textContent).to.equal('Load image');
    button.click();
    const img = content(el).querySelector('img')!;
    expect(img.getAttribute('src')).to.equal(url);
    expect(img.alt).to.equal('Sales chart');
    expect(img.referrerPolicy).to.equal('no-referrer');
    await imagesSettled(content(el));
    expect(fetched()).to.deep.equal([url]);
  });

  it('a partial image or link URL is never fetched nor clickable mid-stream, in any form', async () => {
    const url = beaconUrl();
    const el = await message([location.origin]);
    // Inline, reference-style and bare (linkify) forms: each URL grows character by character.
    const text =
      `Inline ![a](${url}&x=1) and [link](${url}&y=2).\n\n` +
      `Ref ![b][img] and bare ${url}&z=3 ok.\n\n[img]: ${url}&w=4\n`;
    await stream(el, text, (shown) => {
      for (const a of content(el).querySelectorAll('a[href]')) {
        const href = a.getAttribute('href')!;
        expect([`${url}&y=2`, `${url}&z=3`], `clickable ${href} at ${shown.length}`).to.include(href);
      }
      for (const img of content(el).querySelectorAll('img'))
        expect([`${url}&x=1`, `${url}&w=4`], `image at ${shown.length}`).to.include(img.getAttribute('src'));
    });
    await imagesSettled(content(el));
    // Allow-listed: loaded without asking, but only at their complete URLs, each once.
    expect(fetched().sort()).to.deep.equal([`${url}&w=4`, `${url}&x=1`]);
    expect([...content(el).querySelectorAll('img')].map((i) => i.getAttribute('src'))).to.deep.equal([
      `${url}&x=1`,
      `${url}&w=4`,
    ]);
  });

  it('links open without opener or referrer and show their real host when the text does not name it', async () => {
    const el = await message();
    el.status = 'done';
    el.text =
      '[google.com](https://evil.example/login) <https://docs.example.org/a> www.example.net ' +
      '[mail](mailto:a@b.example) [rel](/api/logout) [ftp](ftp://x.example) [idn](https://exаmple.com/)';
    await el.updateComplete;
    el.flush();
    const links = [...content(el).querySelectorAll('a')];
    const clickable = links.filter((a) => a.hasAttribute('href'));
    expect(clickable.map((a) => a.textContent)).to.deep.equal([
      'google.com (evil.example)',
      'https://docs.example.org/a',
      'www.example.net',
      'mail',
      'idn (xn--exmple-4nf.com)',
    ]);
    for (const a of clickable) {
      expect(a.rel).to.equal('noopener noreferrer');
      expect(a.target).to.equal('_blank');
    }
    expect(content(el).textContent).to.contain('[rel](/api/logout)');
    expect(content(el).textContent).to.contain('[ftp](ftp://x.example)');
    expect(await axe(el)).to.deep.equal([]);
  });
});

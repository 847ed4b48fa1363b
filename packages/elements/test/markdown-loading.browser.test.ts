/**
 * The markdown renderer is a chunk loaded on demand (src/markdown/load-markdown.ts): an answer that arrives
 * before it shows as plain text (nothing parsed, no link live, no image fetched), then renders once when the
 * chunk is there, and `updateComplete` waits for that render. The chunk is held back here by replacing its
 * source before any element is connected (this file's page has no other elements).
 */
import { expect, fixture, html } from '@open-wc/testing';
import { markdownChunkSource, type MarkdownChunk } from '../src/markdown/load-markdown.js';
import '../src/index.js';
import type { LlcMessage } from '../src/index.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

let release!: () => void;
let requested = 0;
const importChunk = markdownChunkSource.import;
markdownChunkSource.import = () => {
  requested++;
  return new Promise<MarkdownChunk>((resolve, reject) => {
    release = () => void importChunk().then(resolve, reject);
  });
};

/** A same-origin URL that exists (the test server serves the repository), unique to this run. */
const beacon = `${location.origin}/package.json?beacon=${Math.random().toString(36).slice(2)}`;
const fetchedBeacon = () =>
  (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).some((e) => e.name === beacon);

describe('the markdown renderer, loaded on demand', () => {
  it('shows an answer as plain text until the renderer arrives, then renders it once', async () => {
    const text = `Some **bold** text and [a link](https://example.com/a).\n\n![beacon](${beacon})\n\n- one\n- two\n`;
    const el = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="streaming" message-key="m1"></llc-message>`,
    );
    // Connecting the element started the import (once), before any text arrived.
    expect(requested).to.equal(1);
    el.text = text.slice(0, 30);
    for (let i = 0; i < 3; i++) await frame();
    el.text = text;
    el.status = 'done';
    for (let i = 0; i < 5; i++) await frame();
    const content = el.shadowRoot!.querySelector<HTMLElement>('.markdown')!;
    expect(content.textContent).to.equal(text);
    expect(content.querySelector('strong, a, img, ul, span')).to.equal(null);
    expect(el.renderedText).to.equal(text.trim());
    expect(fetchedBeacon()).to.equal(false);

    const before = content.textContent;
    release();
    await el.updateComplete;
    expect(requested).to.equal(1);
    expect(content.textContent).to.not.equal(before);
    expect(content.querySelector('strong')?.textContent).to.equal('bold');
    // The answer is complete: its link is live, its image a "Load image" placeholder (still not fetched).
    expect(content.querySelector('a')?.getAttribute('href')).to.equal('https://example.com/a');
    expect(content.querySelectorAll('li').length).to.equal(2);
    expect(content.querySelector('[part~="image-placeholder"]')).to.not.equal(null);
    expect(fetchedBeacon()).to.equal(false);
  });

  it('renders later answers at once, and streams them as markdown', async () => {
    const el = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="streaming" message-key="m2"></llc-message>`,
    );
    el.text = 'A *streamed* answer\n\nsecond';
    await el.updateComplete;
    el.flush();
    const content = el.shadowRoot!.querySelector<HTMLElement>('.markdown')!;
    expect(content.querySelector('em')?.textContent).to.equal('streamed');
    expect(requested).to.equal(1);
  });
});

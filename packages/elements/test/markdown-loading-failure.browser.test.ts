/**
 * When the markdown renderer's chunk cannot be fetched (not hosted beside the bundle, offline), answers stay
 * plain text: readable, inert (no link, no image), `updateComplete` still resolves, the failure is reported
 * once on the console and the import is not retried for every update. (A page of its own: the chunk's state
 * is per page.)
 */
import { expect, fixture, html } from '@open-wc/testing';
import { markdownChunkSource } from '../src/markdown/load-markdown.js';
import '../src/index.js';
import type { LlcMessage } from '../src/index.js';

let requested = 0;
markdownChunkSource.import = () => {
  requested++;
  return Promise.reject(new TypeError('Failed to fetch dynamically imported module: chunks/markdown-chunk.js'));
};
const warnings: unknown[][] = [];
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  warnings.push(args);
};
after(() => {
  console.warn = warn;
});

describe('the markdown renderer, when its chunk cannot be loaded', () => {
  it('keeps every answer as plain text and reports the failure once', async () => {
    const text = 'An answer with **markup** and [a link](https://example.com/a).\n\nSecond line.';
    const first = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="streaming" message-key="f1"></llc-message>`,
    );
    first.text = text.slice(0, 20);
    await first.updateComplete;
    first.text = text;
    first.status = 'done';
    await first.updateComplete;
    const second = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        status="done"
        message-key="f2"
        .text=${'Another *answer*'}
      ></llc-message>`,
    );
    await second.updateComplete;
    for (const [el, shown] of [
      [first, text],
      [second, 'Another *answer*'],
    ] as const) {
      const content = el.shadowRoot!.querySelector<HTMLElement>('.markdown')!;
      expect(content.textContent).to.equal(shown);
      expect(content.children.length).to.equal(0);
      expect(content.classList.contains('plain')).to.equal(true);
    }
    expect(requested).to.equal(1);
    expect(warnings.filter(([message]) => String(message).includes('markdown renderer')).length).to.equal(1);
  });
});

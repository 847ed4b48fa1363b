/**
 * The "Thinking" part: reasoning streams into an open disclosure, which closes once the answer starts and then
 * says how long the model thought; it is announced once; the reader's own open/close choice wins; history shows
 * the stored duration; axe finds nothing in either state.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/index.js';
import type { LlcMessage } from '../src/index.js';
import { axe } from './support/axe.js';

const part = (el: LlcMessage) => el.shadowRoot!.querySelector<HTMLDetailsElement>('details.reasoning');
const summary = (el: LlcMessage) => part(el)?.querySelector('summary')?.textContent?.trim();

async function set(el: LlcMessage, values: Partial<LlcMessage>): Promise<void> {
  Object.assign(el, values);
  await el.updateComplete;
}

describe('reasoning part', () => {
  it('streams open, collapses when the answer starts, shows the duration and is announced once', async () => {
    const announced: string[] = [];
    const el = await fixture<LlcMessage>(html`<llc-message role-name="assistant" status="streaming"></llc-message>`);
    el.addEventListener('llc-announce', (e) => announced.push(e.detail.text));
    expect(part(el)).to.equal(null);
    let reasoning = '';
    const started = performance.now();
    for (const piece of ['Okay, the user ', 'wants streams. ', 'Let me think\nabout batching.']) {
      reasoning += piece;
      await set(el, { reasoning });
      expect(part(el)!.open, 'open while thinking').to.equal(true);
      expect(summary(el)).to.equal('Thinking…');
      expect(part(el)!.querySelector('.reasoning-text')!.textContent).to.equal(reasoning);
    }
    // No separate "Thinking…" status line while the part says it.
    expect(el.shadowRoot!.querySelector('.status')).to.equal(null);
    expect(await axe(el)).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await set(el, { text: 'Streams are' });
    expect(part(el)!.open, 'collapsed once the answer starts').to.equal(false);
    // Measured by the page until the stream's end brings the bridge's figure: at least the 1.1 s waited.
    const seconds = Number(/^Thought for (\d+) s$/.exec(summary(el) ?? '')?.[1]);
    expect(seconds).to.be.within(1, Math.round((performance.now() - started) / 1000));
    expect(announced.filter((t) => t.startsWith('Thought'))).to.have.length(1);
    await set(el, { text: 'Streams are ordered.', status: 'done', reasoningMs: 4200 });
    expect(summary(el), "the bridge's measure wins").to.equal('Thought for 4 s');
    expect(announced.filter((t) => t.startsWith('Thought'))).to.have.length(1);
    expect(await axe(el)).to.deep.equal([]);
  });

  it("keeps the reader's choice: opened during the answer, it stays open", async () => {
    const el = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="streaming" .reasoning=${'Hmm.'}></llc-message>`,
    );
    await set(el, { text: 'A' });
    expect(part(el)!.open).to.equal(false);
    part(el)!.querySelector('summary')!.click();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await set(el, { text: 'A longer answer' });
    expect(part(el)!.open).to.equal(true);
    await set(el, { status: 'done' });
    expect(part(el)!.open).to.equal(true);
  });

  it('history: collapsed, stored duration, not announced; no part without reasoning', async () => {
    const announced: string[] = [];
    const el = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        status="done"
        .text=${'Answer.'}
        .reasoning=${'Old thoughts.'}
        .reasoningMs=${12_400}
        @llc-announce=${(e: CustomEvent<{ text: string }>) => announced.push(e.detail.text)}
      ></llc-message>`,
    );
    expect(part(el)!.open).to.equal(false);
    expect(summary(el)).to.equal('Thought for 12 s');
    expect(announced).to.deep.equal([]);
    const plain = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="done" .text=${'x'}></llc-message>`,
    );
    expect(part(plain)).to.equal(null);
  });
});

/**
 * The history's virtualizer is a chunk loaded on demand (src/virtual/load-virtualizer.ts): until it is there the
 * list shows the newest messages as plain rows (a bounded number, at the end, following a growing answer), then
 * hands them to the virtualizer, and `updateComplete` waits for that. The chunk is held back here by replacing its
 * source before any element is connected (this file's page has no other lists).
 */
import './support/node-env.js';
import { expect } from '@open-wc/testing';
import type { ClientMessage } from '@locallightchat/client';
import { virtualizerChunkSource, type VirtualizerChunk } from '../src/virtual/load-virtualizer.js';
import '../src/llc-message-list.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
const frames = async (n: number) => {
  for (let i = 0; i < n; i++) await frame();
};

let release!: () => void;
let requested = 0;
const importChunk = virtualizerChunkSource.import;
virtualizerChunkSource.import = () => {
  requested++;
  return new Promise<VirtualizerChunk>((resolve, reject) => {
    release = () => void importChunk().then(resolve, reject);
  });
};

function message(i: number, extra: Partial<ClientMessage> = {}): ClientMessage {
  const role = i % 2 === 0 ? 'user' : 'assistant';
  return {
    key: `m${i}`,
    role,
    text: `Message ${i}. ${'Some words. '.repeat(1 + (i % 5))}`,
    reasoning: '',
    createdAt: i,
    status: 'done',
    lastSeq: 0,
    ...extra,
  };
}
const distanceFromEnd = (log: HTMLElement) => log.scrollHeight - log.scrollTop - log.clientHeight;

describe('llc-message-list, before its virtualizer arrives', () => {
  // Up to `max` frames for the view to reach its end: on a loaded machine (the Node 24 CI pass at load 4) the
  // scroll to the end took longer than a fixed few frames.
  async function atEnd(log: HTMLElement, max = 60): Promise<number> {
    for (let i = 0; i < max && distanceFromEnd(log) >= 2; i++) await frames(1);
    return distanceFromEnd(log);
  }

  it('shows the newest messages as plain rows at the end, follows a growing answer, then virtualizes', async () => {
    // Not fixture(): it awaits updateComplete, which waits for the chunk held back here.
    const el = document.createElement('llc-message-list');
    el.setAttribute('style', 'display:block;height:400px;width:600px');
    document.body.append(el);
    after(() => el.remove());
    // Connecting the list started the import (once).
    expect(requested).to.equal(1);
    const history = Array.from({ length: 10_000 }, (_, i) => message(i));
    el.messages = history;
    await frames(4);
    const root = el.shadowRoot!;
    const log = root.querySelector<HTMLElement>('.log')!;
    const keys = () => [...root.querySelectorAll('llc-message')].map((m) => m.getAttribute('message-key'));
    expect(log.getAttribute('role')).to.equal('log');
    expect(root.querySelector('.spacer')!.classList.contains('plain')).to.equal(true);
    expect(keys().length).to.equal(40);
    expect(keys().at(-1)).to.equal('m9999');
    expect(await atEnd(log)).to.be.lessThan(2);
    expect(el.following).to.equal(true);

    // A streaming answer grows (also inside its row, without a list update): the view stays at the end.
    let text = '';
    for (let p = 0; p < 6; p++) {
      text += `Paragraph ${p} of the streaming answer, long enough to wrap on a narrow transcript.\n\n`;
      el.messages = [...history, message(10_000, { role: 'assistant', key: 'live', text, status: 'streaming' })];
      await frames(3);
    }
    expect(keys().at(-1)).to.equal('live');
    expect(await atEnd(log)).to.be.lessThan(2);

    release();
    await el.updateComplete;
    await frames(4);
    await el.updateComplete;
    expect(requested).to.equal(1);
    expect(root.querySelector('.spacer')!.classList.contains('plain')).to.equal(false);
    expect(root.querySelector<HTMLElement>('.row')!.style.transform).to.match(/^translateY\(/);
    expect(keys().length).to.be.lessThan(60);
    expect(keys()).to.include('live');
    expect(distanceFromEnd(log)).to.be.lessThan(30);
    expect(el.following).to.equal(true);
  });
});

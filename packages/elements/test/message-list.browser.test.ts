/**
 * The virtualized transcript: bounded DOM with 10k messages, following the streaming answer only while the
 * reader is at the end, "Jump to latest", and a stable reading position when older history is prepended.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { ClientMessage } from '@locallightchat/client';
import '../src/llc-message-list.js';
import type { LlcMessageList } from '../src/llc-message-list.js';

function message(i: number, extra: Partial<ClientMessage> = {}): ClientMessage {
  const role = i % 2 === 0 ? 'user' : 'assistant';
  const text =
    role === 'user' ? `Question number ${i}?` : `Answer ${i}.\n\n${'Some words to wrap. '.repeat(1 + (i % 7))}`;
  return { key: `m${i}`, role, text, reasoning: '', createdAt: i, status: 'done', lastSeq: 0, ...extra };
}

/** A frame, then the task a streaming message's flush runs in right after it (controllers/streaming-markdown.ts). */
const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
async function settle(el: LlcMessageList, frames = 6): Promise<void> {
  for (let i = 0; i < frames; i++) {
    await el.updateComplete;
    await frame();
  }
  await el.updateComplete;
}

const parts = (el: LlcMessageList) => {
  const root = el.shadowRoot!;
  return {
    log: root.querySelector<HTMLElement>('.log')!,
    jump: root.querySelector<HTMLButtonElement>('.jump')!,
    rendered: () => root.querySelectorAll('llc-message').length,
    row: (key: string) => root.querySelector(`llc-message[message-key="${key}"]`),
  };
};

const distanceFromEnd = (log: HTMLElement) => log.scrollHeight - log.scrollTop - log.clientHeight;

/** The first message wholly in view (or the one keyed `key`) and its top's offset from the transcript's top, px. */
function inView(el: LlcMessageList, key?: string): { key: string; offset: number } {
  const root = el.shadowRoot!;
  const top = root.querySelector<HTMLElement>('.log')!.getBoundingClientRect().top;
  const messages = [...root.querySelectorAll<HTMLElement>('llc-message')];
  const found = key
    ? messages.find((m) => m.getAttribute('message-key') === key)
    : messages
        .filter((m) => m.getBoundingClientRect().top >= top)
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0];
  if (!found) throw new Error(key ? `message ${key} is no longer rendered` : 'no message in view');
  return { key: found.getAttribute('message-key')!, offset: found.getBoundingClientRect().top - top };
}

describe('llc-message-list (virtualized)', () => {
  it('renders 10k messages with a bounded DOM, at the newest message', async () => {
    const el = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:400px;width:600px"></llc-message-list>`,
    );
    el.messages = Array.from({ length: 10_000 }, (_, i) => message(i));
    await settle(el);
    const { log, rendered, row, jump } = parts(el);
    expect(rendered()).to.be.greaterThan(0);
    expect(rendered()).to.be.lessThan(60);
    expect(row('m9999')).to.not.equal(null);
    expect(distanceFromEnd(log)).to.be.lessThan(30);
    expect(jump.hidden).to.equal(true);
    expect(log.getAttribute('role')).to.equal('log');

    log.scrollTop = log.scrollHeight / 2;
    await settle(el);
    expect(rendered()).to.be.lessThan(60);
    expect(row('m9999')).to.equal(null);
  });

  it('follows a streaming answer at the end, stops when the reader scrolls up, and jumps back', async () => {
    const el = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:400px;width:600px"></llc-message-list>`,
    );
    const history = Array.from({ length: 10_000 }, (_, i) => message(i));
    el.messages = history;
    await settle(el);
    const { log, jump, rendered } = parts(el);
    let text = '';
    const stream = async (paragraphs: number) => {
      for (let p = 0; p < paragraphs; p++) {
        text += `Paragraph ${p} of the streaming answer, long enough to wrap on a narrow transcript.\n\n`;
        el.messages = [...history, message(10_000, { role: 'assistant', key: 'live', text, status: 'streaming' })];
        await settle(el, 3);
      }
    };
    await stream(8);
    expect(el.following).to.equal(true);
    expect(distanceFromEnd(log)).to.be.lessThan(30);
    // The list's end padding is the newest row's own (so its growth grows the scrollable overflow at once, and
    // the virtualizer's follow write is never clamped): the log ends where that row does.
    const last = el.shadowRoot!.querySelectorAll<HTMLElement>('.row.last');
    expect([...last].map((row) => row.dataset['index'])).to.deep.equal(['10000']);
    expect(
      log.scrollHeight - (log.scrollTop + last[0]!.getBoundingClientRect().bottom - log.getBoundingClientRect().top),
    ).to.be.closeTo(0, 1);
    expect(rendered()).to.be.lessThan(60);

    log.scrollTop -= 1500;
    await settle(el);
    // What the reader sees must stay put: the first message in view keeps its place on screen. (scrollTop itself
    // may change: when a row above the view is measured again — e.g. re-rendered once the markdown chunk is
    // there — the virtualizer moves scrollTop by its change in height so that nothing in view moves.)
    const reading = inView(el);
    expect(el.following).to.equal(false);
    expect(jump.hidden).to.equal(false);
    await stream(5);
    expect(inView(el, reading.key).offset).to.be.closeTo(reading.offset, 1);
    expect(distanceFromEnd(log)).to.be.greaterThan(1000);

    jump.click();
    // A smooth scroll (unless reduced motion is on) takes a few hundred ms: wait for it to land.
    for (let i = 0; i < 240 && distanceFromEnd(log) >= 30; i++) await settle(el, 1);
    await settle(el, 2);
    expect(distanceFromEnd(log)).to.be.lessThan(30);
    expect(jump.hidden).to.equal(true);
  });

  it('keeps the message being read in place when older history is prepended', async () => {
    const el = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:400px;width:600px"></llc-message-list>`,
    );
    let older = 0;
    el.addEventListener('llc-load-older', () => older++);
    const page = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => message(from + i));
    el.hasMore = true;
    el.messages = page(500, 600);
    await settle(el);
    const { log, row } = parts(el);
    log.scrollTop = 150;
    await settle(el);
    expect(older).to.equal(1);
    const anchor = [...el.shadowRoot!.querySelectorAll('llc-message')].find(
      (m) => m.getBoundingClientRect().top >= log.getBoundingClientRect().top,
    )!;
    const key = anchor.getAttribute('message-key')!;
    const before = anchor.getBoundingClientRect().top;

    el.messages = [...page(450, 500), ...el.messages];
    await settle(el, 10);
    const after = row(key)!.getBoundingClientRect().top;
    expect(Math.abs(after - before)).to.be.lessThan(2);
  });

  it('with prefers-reduced-motion, "Jump to latest" lands at once (no smooth scroll)', async () => {
    await emulateMedia({ reducedMotion: 'reduce' });
    try {
      const el = await fixture<LlcMessageList>(
        html`<llc-message-list style="display:block;height:400px;width:600px"></llc-message-list>`,
      );
      el.messages = Array.from({ length: 300 }, (_, i) => message(i));
      await settle(el);
      const { log, jump } = parts(el);
      log.scrollTop -= 3000;
      await settle(el);
      expect(jump.hidden).to.equal(false);
      jump.click();
      expect(distanceFromEnd(log)).to.be.lessThan(30);
    } finally {
      await emulateMedia({ reducedMotion: 'no-preference' });
    }
  });
});

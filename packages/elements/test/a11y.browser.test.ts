/**
 * Accessibility: announcements per finished block (never per token), aria-busy while streaming, status
 * wording, keyboard (Enter, Shift+Enter, Escape, F6 / Alt+Arrow), and axe-core with no WCAG A/AA violations in
 * the idle, streaming, reconnecting and error states — on a real relay stack where a client is needed.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { LlcClient, tokenFromEndpoint, type ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcChat, LlcMessageList } from '../src/index.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 1200): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

function answer(text: string, status: ClientMessage['status'], extra: Partial<ClientMessage> = {}): ClientMessage {
  return {
    key: 'a1',
    role: 'assistant',
    text,
    reasoning: '',
    createdAt: 1,
    status,
    lastSeq: 0,
    streamId: 's1',
    ...extra,
  };
}
const question: ClientMessage = {
  key: 'q1',
  role: 'user',
  text: 'Tell me about streams',
  reasoning: '',
  createdAt: 0,
  status: 'done',
  lastSeq: 0,
};

let stack: { wsUrl: string; httpUrl: string };
before(async () => {
  stack = (await (await fetch('/__llc/stack')).json()) as typeof stack;
});

function client(url = stack.wsUrl): LlcClient {
  return new LlcClient({
    url,
    getToken: tokenFromEndpoint(`${stack.httpUrl}/auth/dev-token`, {
      body: { user: `a11y-${Math.random().toString(36).slice(2)}` },
    }),
    connection: 'direct',
    storage: false,
  });
}

describe('accessibility', () => {
  it('announces each finished block once (never per token), at least 400 ms apart, merged, with the start and end once; aria-busy while streaming', async () => {
    const list = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`,
    );
    const region = list.shadowRoot!.querySelector('.announcer')!;
    const spoken: { text: string; at: number }[] = [];
    new MutationObserver((records) =>
      records.forEach((r) =>
        r.addedNodes.forEach((n) => spoken.push({ text: n.textContent ?? '', at: performance.now() })),
      ),
    ).observe(region, { childList: true });
    const full =
      'First paragraph, a sentence or two long.\n\nSecond paragraph with **bold** words.\n\n```js\nconst x = 1;\n```\n\nLast words.';
    const tokens = full.match(/.{1,3}/gs)!;
    let text = '';
    for (const token of tokens) {
      text += token;
      list.messages = [question, answer(text, 'streaming')];
      await list.updateComplete;
      await frame();
      const article = list
        .shadowRoot!.querySelector('llc-message[role-name="assistant"]')
        ?.shadowRoot?.querySelector('article');
      expect(article?.getAttribute('aria-busy')).to.equal('true');
    }
    list.messages = [question, answer(full, 'done')];
    await until('the end of the answer announced', () => spoken.some((s) => s.text.endsWith('Answer complete.')));
    // Offer the end again (the row re-created by the virtualizer would): it is not said twice.
    list.messages = [question, answer(full, 'done', { key: 'a1' })];
    await new Promise((r) => setTimeout(r, 600));
    expect(tokens.length).to.be.greaterThan(30);
    const all = spoken.map((s) => s.text).join(' ');
    expect(all).to.equal(
      'The assistant is answering. First paragraph, a sentence or two long. Second paragraph with bold words. ' +
        'Code block, js. Last words. Answer complete.',
    );
    // Blocks that finished within 400 ms of the last announcement were merged into the next one. The times are
    // the announcer's own (when each was added to the region): an observer's callback may run late on a busy page.
    expect(spoken.length).to.be.lessThan(6);
    const said = list.announcements;
    expect(said.map((a) => a.text)).to.deep.equal(spoken.map((s) => s.text));
    for (let i = 1; i < said.length; i++)
      expect(said[i]!.at - said[i - 1]!.at, `gap before "${said[i]!.text}"`).to.be.at.least(400);
    const article = list
      .shadowRoot!.querySelector('llc-message[role-name="assistant"]')!
      .shadowRoot!.querySelector('article')!;
    expect(article.getAttribute('aria-busy')).to.equal('false');
    expect(list.shadowRoot!.querySelector('.log')!.getAttribute('aria-live')).to.equal('off');
  });

  it('history is not announced', async () => {
    const list = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`,
    );
    list.messages = [question, answer('An old answer.\n\nWith two blocks.', 'done')];
    for (let i = 0; i < 5; i++) await frame();
    expect(list.shadowRoot!.querySelector('.announcer')!.childElementCount).to.equal(0);
  });

  it('axe: no violations in the error state (failed answer, queued answer, code block)', async () => {
    const list = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`,
    );
    list.messages = [
      question,
      answer('Partial\n\n```js\nlet a = 1;\n```\n', 'error', {
        error: { code: 'internal', message: 'The model server went away', retryable: true },
      }),
      answer('', 'queued', { key: 'a2', queuePosition: 3 }),
    ];
    await until(
      'the failed answer',
      () => !!list.shadowRoot!.querySelector('llc-message[message-key="a1"]')?.shadowRoot?.querySelector('.error'),
    );
    const failed = list.shadowRoot!.querySelector('llc-message[message-key="a1"]')!.shadowRoot!;
    expect(failed.querySelector('.error')!.textContent).to.contain('The model server went away');
    expect(failed.querySelector('[part="copy-button"]')!.getAttribute('aria-label')).to.equal('Copy code');
    expect(list.shadowRoot!.querySelector('llc-message[message-key="a2"]')!.shadowRoot!.textContent).to.contain(
      'position 3',
    );
    expect(await axe(list)).to.deep.equal([]);
  });

  it('axe: no violations idle and while streaming, on the real stack; keyboard: Enter, Shift+Enter, F6, Escape', async function () {
    this.timeout(60_000);
    const chat = await fixture<LlcChat>(
      html`<llc-chat style="display:block;height:600px;width:700px" .client=${client()}></llc-chat>`,
    );
    await until('connected', () => chat.client!.connectionStatus === 'open');
    expect(await axe(chat)).to.deep.equal([]);

    const composer = chat.shadowRoot!.querySelector('llc-composer')!;
    const textarea = composer.shadowRoot!.querySelector('textarea')!;
    textarea.focus();
    await sendKeys({ type: 'Tell me a long story' });
    await sendKeys({ press: 'Shift+Enter' });
    await sendKeys({ type: 'with markdown' });
    expect(textarea.value).to.equal('Tell me a long story\nwith markdown');
    await sendKeys({ press: 'F6' });
    const list = chat.shadowRoot!.querySelector('llc-message-list')!;
    expect(chat.shadowRoot!.activeElement).to.equal(list);
    expect(list.shadowRoot!.activeElement?.getAttribute('role')).to.equal('log');
    await sendKeys({ press: 'Alt+ArrowDown' });
    expect(chat.shadowRoot!.activeElement).to.equal(composer);
    await sendKeys({ press: 'Enter' });
    expect(textarea.value).to.equal('');

    const busy = () =>
      list
        .shadowRoot!.querySelector('llc-message[role-name="assistant"]')
        ?.shadowRoot?.querySelector('article[aria-busy="true"]');
    // Streaming proper (tokens arriving, so there is a stream to stop), not only queued.
    await until(
      'a streaming answer',
      () => !!busy() && !!list.shadowRoot!.querySelector('llc-message[role-name="assistant"][status="streaming"]'),
    );
    expect(await axe(chat)).to.deep.equal([]);
    // Escape from the transcript stops the answer.
    await sendKeys({ press: 'F6' });
    await sendKeys({ press: 'Escape' });
    const state = () =>
      JSON.stringify(
        chat.client!.snapshot(chat.conversationId!).messages.map((m) => [m.role, m.status, m.streamId, m.text.length]),
      );
    await until('the answer to stop or end', () => !busy()).catch((error: Error) => {
      throw new Error(`${error.message}: ${state()} focus=${chat.shadowRoot!.activeElement?.localName}`);
    });
    // Incoming content never moved the focus.
    expect(chat.shadowRoot!.activeElement).to.equal(list);
    chat.client!.close();
  });

  it('axe: no violations while reconnecting; the status line says so', async () => {
    const dead = new LlcClient({
      url: 'ws://127.0.0.1:9/ws',
      getToken: () => 'unused',
      connection: 'direct',
      storage: false,
    });
    const chat = await fixture<LlcChat>(
      html`<llc-chat style="display:block;height:600px;width:700px" theme="dark" .client=${dead}></llc-chat>`,
    );
    const status = chat.shadowRoot!.querySelector('llc-status')!;
    await until('reconnecting', () => /Reconnecting|Connecting/.test(status.shadowRoot!.textContent ?? ''));
    expect(status.shadowRoot!.querySelector('[role="status"]')).to.not.equal(null);
    expect(await axe(chat)).to.deep.equal([]);
    dead.close();
  });
});

/**
 * The built-in message actions: which show when (and the `actions` attribute), Copy as markdown / as text, the
 * inline editor (Enter sends, Escape cancels), cancelable events, keyboard reach and announcements — and on the
 * real stack: a thumbs-down with a comment stored by the relay, Regenerate and Edit through the client; axe in
 * each new state.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { LlcClient, tokenFromEndpoint, type ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcChat, LlcMessage, LlcMessageList, MessageActionEventDetail } from '../src/index.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 1800): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

const question: ClientMessage = {
  key: 'q1',
  id: 'm1',
  role: 'user',
  text: 'What is **bold**?',
  reasoning: '',
  createdAt: 0,
  status: 'done',
  lastSeq: 0,
};
const answer = (status: ClientMessage['status'], extra: Partial<ClientMessage> = {}): ClientMessage => ({
  key: 'a1',
  role: 'assistant',
  text: 'It is **strong** text.\n\n- one\n- two',
  reasoning: '',
  createdAt: 1,
  status,
  lastSeq: 3,
  streamId: 's1',
  replyTo: 'm1',
  ...extra,
});

const row = (list: LlcMessageList, key: string) =>
  list.shadowRoot!.querySelector<LlcMessage>(`llc-message[message-key="${key}"]`)!;
const buttons = (message: LlcMessage) =>
  [...message.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="action-button"]')].map(
    (b) => b.getAttribute('aria-label') ?? b.textContent!.trim(),
  );
const button = (message: LlcMessage, label: string) =>
  [...message.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="action-button"]')].find(
    (b) => (b.getAttribute('aria-label') ?? b.textContent!.trim()) === label,
  )!;
const announced = (list: LlcMessageList) =>
  [...list.shadowRoot!.querySelectorAll('.announcer p')].map((p) => p.textContent).join(' ');

async function listOf(messages: ClientMessage[], actions?: string): Promise<LlcMessageList> {
  const list = await fixture<LlcMessageList>(
    actions === undefined
      ? html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`
      : html`<llc-message-list style="display:block;height:500px;width:600px" actions=${actions}></llc-message-list>`,
  );
  list.messages = messages;
  await until('the rows', () => !!row(list, messages.at(-1)!.key)?.shadowRoot?.querySelector('article'));
  await row(list, messages.at(-1)!.key).updateComplete;
  return list;
}

describe('message actions', function () {
  this.timeout(90_000);
  it('shows Copy/Regenerate/feedback under a finished answer, Copy/Edit under a sent question, none while streaming', async () => {
    const list = await listOf([question, answer('streaming')]);
    expect(buttons(row(list, 'a1'))).to.deep.equal([]);
    expect(buttons(row(list, 'q1'))).to.deep.equal(['Copy', 'Copy as text', 'Edit']);
    list.messages = [question, answer('done')];
    await until('the answer actions', () => buttons(row(list, 'a1')).length > 0);
    expect(buttons(row(list, 'a1'))).to.deep.equal(['Copy', 'Copy as text', 'Regenerate', 'Good answer', 'Bad answer']);
    // A failed answer can be regenerated (not rated).
    list.messages = [question, answer('error', { error: { code: 'internal', message: 'boom', retryable: true } })];
    await until('the failed answer actions', () => !buttons(row(list, 'a1')).includes('Good answer'));
    expect(buttons(row(list, 'a1'))).to.deep.equal(['Copy', 'Copy as text', 'Regenerate']);
    expect(await axe(list)).to.deep.equal([]);
  });

  it('the actions attribute chooses them; "none" removes them', async () => {
    const some = await listOf([question, answer('done')], 'copy feedback');
    expect(buttons(row(some, 'a1'))).to.deep.equal(['Copy', 'Copy as text', 'Good answer', 'Bad answer']);
    expect(buttons(row(some, 'q1'))).to.deep.equal(['Copy', 'Copy as text']);
    const none = await listOf([question, answer('done')], 'none');
    expect(buttons(row(none, 'a1'))).to.deep.equal([]);
  });

  it('copies as markdown or as the text the reader sees, through a cancelable event, and announces it', async () => {
    const list = await listOf([question, answer('done')]);
    const details: MessageActionEventDetail[] = [];
    list.addEventListener('llc-message-action', (e) => details.push(e.detail));
    const message = row(list, 'a1');
    button(message, 'Copy').click();
    button(message, 'Copy as text').click();
    expect(details.map((d) => [d.action, d.format, d.text])).to.deep.equal([
      ['copy', 'markdown', 'It is **strong** text.\n\n- one\n- two'],
      ['copy', 'text', 'It is strong text.\n\none\ntwo'],
    ]);
    // Headless Chromium may refuse the clipboard without a user gesture; either outcome is spoken.
    await until('both copies announced', () => (announced(list).match(/Copied|Copy failed/g) ?? []).length === 2);
    // An app that takes an action over cancels the event: nothing else happens.
    const stop = (e: Event) => e.preventDefault();
    list.addEventListener('llc-message-action', stop);
    const before = announced(list);
    button(message, 'Regenerate').click();
    await new Promise((r) => setTimeout(r, 500));
    expect(announced(list)).to.equal(before);
    list.removeEventListener('llc-message-action', stop);
  });

  it('edits inline: keyboard-reachable, Escape cancels (without stopping anything), Enter sends the new text', async () => {
    const list = await listOf([question, answer('done')]);
    const details: MessageActionEventDetail[] = [];
    list.addEventListener('llc-message-action', (e) => details.push(e.detail));
    const message = row(list, 'q1');
    button(message, 'Edit').focus();
    await sendKeys({ press: 'Enter' });
    await until('the editor', () => !!message.shadowRoot!.querySelector('[part="edit-input"]'));
    const editor = message.shadowRoot!.querySelector<HTMLTextAreaElement>('[part="edit-input"]')!;
    expect(message.shadowRoot!.activeElement).to.equal(editor);
    expect(editor.value).to.equal('What is **bold**?');
    expect(parseFloat(getComputedStyle(editor).fontSize)).to.be.at.least(16);
    expect(await axe(list)).to.deep.equal([]);
    const escape = new Promise<boolean>((resolve) =>
      document.addEventListener('keydown', (e) => resolve(e.key === 'Escape'), { once: true }),
    );
    await sendKeys({ press: 'Escape' });
    await message.updateComplete;
    expect(message.shadowRoot!.querySelector('[part="edit-input"]')).to.equal(null);
    expect(message.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Edit');
    const reachedDocument = await Promise.race([escape, new Promise((r) => setTimeout(() => r(false), 100))]);
    expect(reachedDocument, 'Escape in the editor does not bubble on (it would stop an answer)').to.equal(false);
    expect(details).to.deep.equal([]);

    await sendKeys({ press: 'Enter' });
    await until('the editor again', () => !!message.shadowRoot!.querySelector('[part="edit-input"]'));
    await sendKeys({ press: 'Shift+Enter' });
    await sendKeys({ type: 'And italics?' });
    await sendKeys({ press: 'Enter' });
    expect(details.map((d) => [d.action, d.messageKey, d.edited])).to.deep.equal([
      ['edit', 'q1', 'What is **bold**?\nAnd italics?'],
    ]);
  });
});

describe('message actions on the real stack', () => {
  let stack: { wsUrl: string; httpUrl: string };
  before(async () => {
    stack = (await (await fetch('/__llc/stack')).json()) as typeof stack;
  });

  it('a thumbs-down with a comment is stored by the relay and announced; Regenerate and Edit rewrite through the client', async function () {
    this.timeout(90_000);
    const client = new LlcClient({
      url: stack.wsUrl,
      getToken: tokenFromEndpoint(`${stack.httpUrl}/auth/dev-token`, {
        body: { user: `actions-${Math.random().toString(36).slice(2)}` },
      }),
      connection: 'direct',
      storage: false,
    });
    const chat = await fixture<LlcChat>(
      html`<llc-chat style="display:block;height:700px;width:700px" .client=${client}></llc-chat>`,
    );
    await until('connected', () => client.connectionStatus === 'open');
    const id = chat.conversationId!;
    client.send(id, 'Say something short.', { maxTokens: 16 });
    const list = chat.shadowRoot!.querySelector('llc-message-list')!;
    const answerRow = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[role-name="assistant"]');
    await until('a finished answer', () => answerRow()?.status === 'done' && buttons(answerRow()!).length > 0);
    const firstKey = answerRow()!.messageKey;

    button(answerRow()!, 'Bad answer').click();
    await until('the rating stored and announced', () => announced(list).includes('Thanks for your feedback.'));
    const rated = answerRow()!;
    expect(button(rated, 'Bad answer').getAttribute('aria-pressed')).to.equal('true');
    const input = rated.shadowRoot!.querySelector<HTMLInputElement>('[part="feedback-input"]')!;
    expect(rated.shadowRoot!.activeElement).to.equal(input);
    expect(await axe(chat)).to.deep.equal([]);
    await sendKeys({ type: 'Too vague' });
    await sendKeys({ press: 'Enter' });
    await until('the comment stored and announced', () => announced(list).includes('Comment sent.'));
    expect(rated.shadowRoot!.querySelector('[part="feedback-form"]')).to.equal(null);

    button(answerRow()!, 'Regenerate').click();
    await until('a new answer', () => answerRow()?.messageKey !== firstKey && answerRow()?.status === 'done', 3600);
    expect(client.snapshot(id).messages.filter((m) => m.role === 'assistant')).to.have.length(1);

    const questionRow = list.shadowRoot!.querySelector<LlcMessage>('llc-message[role-name="user"]')!;
    button(questionRow, 'Edit').click();
    await until('the editor', () => !!questionRow.shadowRoot!.querySelector('[part="edit-input"]'));
    const editor = questionRow.shadowRoot!.querySelector<HTMLTextAreaElement>('[part="edit-input"]')!;
    editor.value = 'Say something else.';
    editor.focus();
    await sendKeys({ press: 'Enter' });
    await until('the edited question', () =>
      client.snapshot(id).messages.some((m) => m.role === 'user' && m.text === 'Say something else.'),
    );
    const texts = client.snapshot(id).messages.map((m) => m.role === 'user' && m.text);
    expect(texts.filter(Boolean)).to.deep.equal(['Say something else.']);
    client.close();
  });
});

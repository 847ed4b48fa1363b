/**
 * The branch picker of a message with several versions: "N / M" with labelled Previous / Next buttons (disabled
 * at the ends), keyboard-reachable, read as "Version N of M", a choice fired as a cancelable `select-branch`
 * action and announced; no picker without versions; axe clean.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcMessage, LlcMessageList, MessageActionEventDetail } from '../src/index.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 1800): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

const question = (extra: Partial<ClientMessage> = {}): ClientMessage => ({
  key: 'q2',
  id: 'm2',
  role: 'user',
  text: 'Second version of the question',
  reasoning: '',
  createdAt: 0,
  status: 'done',
  lastSeq: 0,
  ...extra,
});
const answer: ClientMessage = {
  key: 's2',
  id: 'a2',
  role: 'assistant',
  text: 'An answer.',
  reasoning: '',
  createdAt: 1,
  status: 'done',
  lastSeq: 1,
  streamId: 's2',
  replyTo: 'm2',
};

const row = (list: LlcMessageList, key: string) =>
  list.shadowRoot!.querySelector<LlcMessage>(`llc-message[message-key="${key}"]`)!;
const picker = (message: LlcMessage) => message.shadowRoot!.querySelector<HTMLElement>('[part~="branches"]');
const pickerButton = (message: LlcMessage, which: 'previous' | 'next') =>
  message.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="branch-${which}"]`)!;
const announced = (list: LlcMessageList) =>
  [...list.shadowRoot!.querySelectorAll('.announcer p')].map((p) => p.textContent).join(' ');

async function listOf(messages: ClientMessage[]): Promise<LlcMessageList> {
  const list = await fixture<LlcMessageList>(
    html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`,
  );
  list.messages = messages;
  await until('the rows', () => !!row(list, messages.at(-1)!.key)?.shadowRoot?.querySelector('article'));
  await row(list, messages[0]!.key).updateComplete;
  return list;
}

describe('branch picker', function () {
  this.timeout(90_000);

  it('shows "N / M" on a message with versions, labelled, read as "Version N of M", and none without', async () => {
    const list = await listOf([question({ siblings: ['m1', 'm2', 'm3'] }), answer]);
    const message = row(list, 'q2');
    const group = picker(message)!;
    expect(group.getAttribute('role')).to.equal('group');
    expect(group.getAttribute('aria-label')).to.equal('Versions');
    const position = group.querySelector('[part~="branch-position"]')!;
    expect(position.querySelector('[aria-hidden="true"]')!.textContent!.trim()).to.equal('2 / 3');
    expect(position.querySelector('.visually-hidden')!.textContent).to.equal('Version 2 of 3');
    expect(pickerButton(message, 'previous').getAttribute('aria-label')).to.equal('Previous version');
    expect(pickerButton(message, 'next').getAttribute('aria-label')).to.equal('Next version');
    expect(picker(row(list, 's2'))).to.equal(null, 'no versions, no picker');
    expect(await axe(list)).to.deep.equal([]);

    // At the ends, the button that leads nowhere is disabled.
    list.messages = [question({ siblings: ['m2', 'm3'] }), answer];
    await until('the first of two', () => pickerButton(row(list, 'q2'), 'previous')?.disabled === true);
    expect(pickerButton(row(list, 'q2'), 'next').disabled).to.equal(false);
    list.messages = [question({ siblings: ['m1', 'm2'] }), answer];
    await until('the last of two', () => pickerButton(row(list, 'q2'), 'next')?.disabled === true);
    expect(await axe(list)).to.deep.equal([]);
  });

  it('is reached by keyboard, fires a cancelable select-branch action and announces the version shown', async () => {
    const list = await listOf([question({ siblings: ['m1', 'm2', 'm3'] }), answer]);
    const details: MessageActionEventDetail[] = [];
    list.addEventListener('llc-message-action', (e) => details.push(e.detail));
    const message = row(list, 'q2');
    pickerButton(message, 'previous').focus();
    expect(message.shadowRoot!.activeElement).to.equal(pickerButton(message, 'previous'));
    await sendKeys({ press: 'Tab' });
    expect(message.shadowRoot!.activeElement).to.equal(pickerButton(message, 'next'), 'next in reading order');
    await sendKeys({ press: 'Enter' });
    expect(details.map((d) => [d.action, d.messageKey, d.branch])).to.deep.equal([['select-branch', 'q2', 'm3']]);
    await until('the announcement', () => announced(list).includes('Showing version 3 of 3.'));
    pickerButton(message, 'previous').click();
    expect(details.at(-1)!.branch).to.equal('m1');
    await until('the second announcement', () => announced(list).includes('Showing version 1 of 3.'));

    // An app that takes it over cancels the event: nothing is announced.
    list.addEventListener('llc-message-action', (e) => e.preventDefault());
    const before = announced(list);
    pickerButton(message, 'next').click();
    await new Promise((r) => setTimeout(r, 500));
    expect(announced(list)).to.equal(before);
  });
});

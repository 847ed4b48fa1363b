/**
 * Extension points: ::part through the nested elements, theme custom properties (light/dark by attribute),
 * i18n strings, dir="rtl", the message-actions template slot.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { LlcClient, type ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcChat, LlcMessageList, LlcProvider, MessageActionEventDetail, SendEventDetail } from '../src/index.js';
import { sendKeys } from '@web/test-runner-commands';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 600): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A client pointed at nothing: the chat renders, offline, without a relay. */
const offlineClient = () =>
  new LlcClient({ url: 'ws://127.0.0.1:9/ws', getToken: () => 'unused', connection: 'direct', storage: false });

const answer: ClientMessage = {
  key: 'a1',
  role: 'assistant',
  text: 'Code:\n\n```js\nlet a = 1;\n```\n',
  reasoning: '',
  createdAt: 1,
  status: 'done',
  lastSeq: 0,
};

describe('extension points', () => {
  const style = document.createElement('style');
  style.textContent = `
    llc-chat::part(send-button) { outline-color: rgb(1, 2, 3); }
    llc-chat::part(log) { outline-color: rgb(4, 5, 6); }
    llc-message-list::part(copy-button) { outline-color: rgb(7, 8, 9); }
  `;
  before(() => document.head.append(style));
  after(() => style.remove());

  it('::part reaches the composer, the transcript and the code blocks inside messages', async () => {
    const chat = await fixture<LlcChat>(
      html`<llc-chat style="display:block;height:400px" .client=${offlineClient()}></llc-chat>`,
    );
    const composer = chat.shadowRoot!.querySelector('llc-composer')!;
    await composer.updateComplete;
    const send = composer.shadowRoot!.querySelector('[part="send-button"]')!;
    expect(getComputedStyle(send).outlineColor).to.equal('rgb(1, 2, 3)');
    const list = chat.shadowRoot!.querySelector('llc-message-list')!;
    expect(getComputedStyle(list.shadowRoot!.querySelector('[part="log"]')!).outlineColor).to.equal('rgb(4, 5, 6)');
    chat.client!.close();

    const standalone = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:400px" .messages=${[answer]}></llc-message-list>`,
    );
    await until(
      'the copy button',
      () => !!standalone.shadowRoot!.querySelector('llc-message')?.shadowRoot?.querySelector('[part="copy-button"]'),
    );
    const copy = standalone
      .shadowRoot!.querySelector('llc-message')!
      .shadowRoot!.querySelector('[part="copy-button"]')!;
    expect(getComputedStyle(copy).outlineColor).to.equal('rgb(7, 8, 9)');
  });

  it('themes through custom properties: light by default, dark with theme="dark", page overrides win', async () => {
    const chat = await fixture<LlcChat>(html`<llc-chat theme="light" .client=${offlineClient()}></llc-chat>`);
    expect(getComputedStyle(chat).getPropertyValue('--llc-bg').trim()).to.equal('#ffffff');
    chat.theme = 'dark';
    await chat.updateComplete;
    expect(getComputedStyle(chat).getPropertyValue('--llc-bg').trim()).to.equal('#0f172a');
    expect(getComputedStyle(chat).backgroundColor).to.equal('rgb(15, 23, 42)');
    chat.style.setProperty('--llc-bg', 'rgb(10, 20, 30)');
    expect(getComputedStyle(chat).backgroundColor).to.equal('rgb(10, 20, 30)');
    chat.client!.close();
  });

  it('takes i18n strings and lays out right-to-left under dir="rtl" (code stays left-to-right)', async () => {
    const chat = await fixture<LlcChat>(
      html`<llc-chat
        dir="rtl"
        .strings=${{ send: 'أرسل', messageLabel: 'رسالة' }}
        .client=${offlineClient()}
      ></llc-chat>`,
    );
    const composer = chat.shadowRoot!.querySelector('llc-composer')!;
    await composer.updateComplete;
    expect(composer.shadowRoot!.querySelector('[part="send-button"]')!.textContent.trim()).to.equal('أرسل');
    expect(composer.shadowRoot!.querySelector('textarea')!.getAttribute('aria-label')).to.equal('رسالة');
    expect(getComputedStyle(composer.shadowRoot!.querySelector('form')!).direction).to.equal('rtl');
    chat.client!.close();

    const list = await fixture<LlcMessageList>(
      html`<llc-message-list dir="rtl" style="display:block;height:400px" .messages=${[answer]}></llc-message-list>`,
    );
    await until(
      'the code block',
      () => !!list.shadowRoot!.querySelector('llc-message')?.shadowRoot?.querySelector('pre'),
    );
    const message = list.shadowRoot!.querySelector('llc-message')!.shadowRoot!;
    expect(getComputedStyle(message.querySelector('.content')!).direction).to.equal('rtl');
    expect(getComputedStyle(message.querySelector('pre')!).direction).to.equal('ltr');
  });

  it('clones the message-actions template under finished answers and reports clicks', async () => {
    const chat = await fixture<LlcChat>(
      html`<llc-chat .client=${offlineClient()}>
        <template slot="message-actions"><button type="button" data-action="regenerate">Regenerate</button></template>
      </llc-chat>`,
    );
    const inner = chat.shadowRoot!.querySelector('llc-message-list')!;
    await until('the template to reach the list', () => inner.actionsTemplate instanceof HTMLTemplateElement);
    chat.client!.close();

    const list = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:400px"></llc-message-list>`,
    );
    list.actionsTemplate = inner.actionsTemplate;
    list.messages = [answer, { ...answer, key: 'a2', status: 'streaming', text: 'still going' }];
    await until('the actions', () => !!list.shadowRoot!.querySelector('llc-message[message-key="a1"] [data-action]'));
    expect(list.shadowRoot!.querySelector('llc-message[message-key="a2"] [data-action]')).to.equal(null);
    let detail: MessageActionEventDetail | undefined;
    // Typed through the HTMLElementEventMap augmentation: no cast.
    list.addEventListener('llc-message-action', (e) => (detail = e.detail));
    list.shadowRoot!.querySelector<HTMLButtonElement>('llc-message[message-key="a1"] [data-action]')!.click();
    expect(detail).to.include({ action: 'regenerate', messageKey: 'a1' });
  });

  it('fires a cancelable llc-send that a listener on <llc-chat> hears, typed', async () => {
    const client = offlineClient();
    const chat = await fixture<LlcChat>(
      html`<llc-chat style="display:block;height:400px" conversation="c_send" .client=${client}></llc-chat>`,
    );
    const composer = chat.shadowRoot!.querySelector('llc-composer')!;
    await composer.updateComplete;
    const heard: SendEventDetail[] = [];
    let cancel = true;
    chat.addEventListener('llc-send', (e) => {
      heard.push(e.detail);
      if (cancel) e.preventDefault();
    });
    composer.focus();
    await sendKeys({ type: 'first' });
    await sendKeys({ press: 'Enter' });
    expect(heard).to.deep.equal([{ conversationId: 'c_send', text: 'first' }]);
    expect(client.snapshot('c_send').messages).to.have.length(0, 'cancelled: not sent');
    cancel = false;
    await sendKeys({ press: 'Enter' });
    expect(heard).to.have.length(2);
    expect(client.snapshot('c_send').messages.map((m) => [m.role, m.text])).to.deep.equal([['user', 'first']]);
    client.close();
  });

  it('<llc-provider> gives a layout of your own the client and conversation (via @lit/context)', async () => {
    const client = offlineClient();
    const provider = await fixture<LlcProvider>(
      html`<llc-provider conversation="c_custom" .client=${client}>
        <section style="display:grid;grid-template-rows:300px auto">
          <llc-message-list></llc-message-list>
          <llc-composer></llc-composer>
        </section>
      </llc-provider>`,
    );
    const list = provider.querySelector('llc-message-list')!;
    const composer = provider.querySelector('llc-composer')!;
    await composer.updateComplete;
    composer.shadowRoot!.querySelector('textarea')!.focus();
    await sendKeys({ type: 'Hello from my own layout' });
    await sendKeys({ press: 'Enter' });
    await until('the message in the list', () => !!list.shadowRoot!.querySelector('llc-message[role-name="user"]'));
    const shown = list.shadowRoot!.querySelector('llc-message[role-name="user"]')!;
    expect(shown.shadowRoot!.querySelector('.content')!.textContent).to.equal('Hello from my own layout');
    expect(client.snapshot('c_custom').messages[0]?.text).to.equal('Hello from my own layout');
    client.close();
  });
});

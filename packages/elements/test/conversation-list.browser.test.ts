/**
 * `<llc-chat sidebar>` with `<llc-conversation-list>` on the real stack: the user's conversations newest first
 * with their automatic titles, search by title, keyboard navigation, opening one, deleting one; axe clean.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { LlcClient, tokenFromEndpoint } from '@locallightchat/client';
import { newId } from '@locallightchat/protocol';
import '../src/index.js';
import type { LlcChat, LlcConversationList } from '../src/index.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 1800): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('conversation list', function () {
  this.timeout(90_000);

  it('lists titled conversations newest first; search, keyboard, open and delete', async () => {
    const stack = (await (await fetch('/__llc/stack')).json()) as { wsUrl: string; httpUrl: string };
    const client = new LlcClient({
      url: stack.wsUrl,
      getToken: tokenFromEndpoint(`${stack.httpUrl}/auth/dev-token`, {
        body: { user: `list-${Math.random().toString(36).slice(2)}` },
      }),
      connection: 'direct',
      storage: false,
    });
    const ids = [newId('c_'), newId('c_'), newId('c_')];
    const topics = ['Bake sourdough bread', 'Fix a bike chain', 'Plan a Lisbon trip'];
    for (let i = 0; i < 3; i++) {
      client.send(ids[i]!, topics[i]!, { maxTokens: 8 });
      await until('acknowledged', () => client.snapshot(ids[i]!).messages[0]?.status === 'done');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Titles are set beside the answers, and each answer is activity: wait until all three are titled and done.
    let expected: string[] = [];
    for (let i = 0; i < 100; i++) {
      const done = ids.every((id) =>
        client.snapshot(id).messages.some((m) => m.role === 'assistant' && m.status === 'done'),
      );
      const page = await client.listConversations();
      expected = page.conversations.map((c) => c.title ?? '');
      if (done && expected.filter(Boolean).length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    expected = (await client.listConversations()).conversations.map((c) => c.title ?? '');
    expect([...expected].sort()).to.deep.equal([...topics].sort());
    const chat = await fixture<LlcChat>(
      html`<llc-chat
        sidebar
        conversation=${ids[2]!}
        style="display:block;height:600px;width:900px"
        .client=${client}
      ></llc-chat>`,
    );
    await until('the list element', () => !!customElements.get('llc-conversation-list'));
    const list = () => chat.shadowRoot!.querySelector<LlcConversationList>('llc-conversation-list')!;
    const titles = () =>
      [...list().shadowRoot!.querySelectorAll<HTMLButtonElement>('[part="conversation"]')].map((b) =>
        b.textContent!.trim(),
      );
    await until('three conversations', () => titles().length === 3).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(titles())} rows=${JSON.stringify((list() as unknown as { rows: unknown }).rows)}`,
      );
    });
    expect(titles()).to.deep.equal(expected);
    expect(await axe(chat)).to.deep.equal([]);

    const search = list().shadowRoot!.querySelector<HTMLInputElement>('[part="search"]')!;
    search.focus();
    await sendKeys({ type: 'bike' });
    await until('the search', () => titles().length === 1);
    expect(titles()).to.deep.equal(['Fix a bike chain']);
    search.value = '';
    search.dispatchEvent(new Event('input'));
    await until('all again', () => titles().length === 3);

    // One tab stop: the first row's title; arrows move it (roving tabindex).
    const tabStops = () =>
      [...list().shadowRoot!.querySelectorAll<HTMLElement>('[tabindex="0"]')].map((e) => e.textContent!.trim());
    expect(tabStops()).to.deep.equal([expected[0]]);
    const first = list().shadowRoot!.querySelector<HTMLElement>('[part="conversation"]')!;
    first.focus();
    await sendKeys({ press: 'End' });
    expect(list().shadowRoot!.activeElement?.textContent?.trim()).to.equal(expected[2]);
    expect(tabStops()).to.deep.equal([expected[2]]);
    await sendKeys({ press: 'Home' });
    expect(list().shadowRoot!.activeElement?.textContent?.trim()).to.equal(expected[0]);

    // Inline rename: F2 opens a field in the row; Escape cancels, Enter saves; focus comes back to the row.
    await sendKeys({ press: 'F2' });
    await list().updateComplete;
    const field = () => list().shadowRoot!.querySelector<HTMLInputElement>('[part="rename"]');
    await until('the rename field', () => list().shadowRoot!.activeElement === field());
    expect(field()!.value).to.equal(expected[0]);
    await sendKeys({ type: 'Scratch' });
    await sendKeys({ press: 'Escape' });
    await until(
      'focus back on the row',
      () => list().shadowRoot!.activeElement?.getAttribute('part') === 'conversation',
    );
    expect(field()).to.equal(null);
    expect(titles()[0]).to.equal(expected[0]);
    await sendKeys({ press: 'F2' });
    await until('the rename field again', () => list().shadowRoot!.activeElement === field());
    field()!.select();
    await sendKeys({ type: 'Renamed inline' });
    expect(await axe(chat)).to.deep.equal([]);
    await sendKeys({ press: 'Enter' });
    await until('the new title', () => titles().includes('Renamed inline'));
    expect(list().shadowRoot!.activeElement?.textContent?.trim()).to.equal('Renamed inline');
    const stored = await client.listConversations();
    expect(stored.conversations.map((c) => c.title)).to.include('Renamed inline');
    expected = stored.conversations.map((c) => c.title ?? '');
    await sendKeys({ press: 'Home' });
    await sendKeys({ press: 'ArrowDown' });
    const second = expected[1]!;
    const secondId = ids[topics.indexOf(second)]!;
    expect(list().shadowRoot!.activeElement?.textContent?.trim()).to.equal(second);
    await sendKeys({ press: 'Enter' });
    await until('the chosen conversation open', () => chat.conversation === secondId);

    await sendKeys({ press: 'Delete' });
    await until('the confirmation focused', () => list().shadowRoot!.activeElement?.getAttribute('part') === 'delete');
    expect(list().shadowRoot!.activeElement!.textContent!.trim()).to.equal('Delete for good');
    expect(await axe(chat)).to.deep.equal([]);
    await sendKeys({ press: 'Enter' });
    await until('the row gone', () => titles().length === 2);
    expect(titles()).to.deep.equal(expected.filter((t) => t !== second));
    const page = await client.listConversations();
    expect(page.conversations.map((c) => c.conversationId)).to.not.include(secondId);
    expect(page.conversations).to.have.length(2);
    client.close();
  });
});

/**
 * `<llc-conversation-list>` with thousands of conversations: only the rows in view are in the DOM, scrolling to the
 * end asks for the next pages, keyboard focus survives scrolling, and the search asks the relay (debounced) for
 * titles that are not loaded yet. The client here is a stand-in that pages an in-memory list the way the relay
 * does (newest first, opaque cursor, case-insensitive title query) and records what it was asked; the real relay's
 * paging and search are covered by the Store conformance suite and conversation-list.browser.test.ts.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { LlcClient } from '@locallightchat/client';
import type { ConversationSummary } from '@locallightchat/protocol';
import '../src/llc-conversation-list.js';
import type { LlcConversationList } from '../src/index.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 600): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

const TOTAL = 3000;

class PagingClient extends EventTarget {
  readonly asked: { before?: string; limit?: number; query?: string }[] = [];
  readonly all: ConversationSummary[] = Array.from({ length: TOTAL }, (_, i) => ({
    conversationId: `c_${String(i).padStart(5, '0')}`,
    title: i === TOTAL - 7 ? 'Needle in the haystack' : `Conversation ${i}`,
    createdAt: 1000 + i,
    updatedAt: 10_000_000 - i,
  }));

  async listConversations(options: { before?: string; limit?: number; query?: string } = {}) {
    this.asked.push(options);
    const q = options.query?.toLowerCase();
    const matching = q ? this.all.filter((c) => c.title!.toLowerCase().includes(q)) : this.all;
    const from = options.before === undefined ? 0 : matching.findIndex((c) => c.conversationId === options.before) + 1;
    const conversations = matching.slice(from, from + (options.limit ?? 30));
    const more = from + conversations.length < matching.length;
    return { conversations, ...(more ? { cursor: conversations.at(-1)!.conversationId } : {}) };
  }
}

describe('conversation list: thousands of conversations', function () {
  this.timeout(60_000);

  it('renders only the rows in view, pages while scrolling, keeps focus, and searches on the relay', async () => {
    const client = new PagingClient();
    const list = await fixture<LlcConversationList>(
      html`<llc-conversation-list
        style="display:flex;height:400px;width:320px"
        .client=${client as unknown as LlcClient}
      ></llc-conversation-list>`,
    );
    const root = list.shadowRoot!;
    const rows = () => [...root.querySelectorAll<HTMLElement>('[role="row"]')];
    await until('the first page', () => rows().length > 0);
    expect(rows().length).to.be.lessThan(30, 'only the rows in view (and a few more) are drawn');
    const grid = root.querySelector<HTMLElement>('[part="list"]')!;

    // Scrolling to the end of what is loaded asks for the next pages, until thousands are loaded.
    for (let i = 0; i < 400 && client.asked.length < 40; i++) {
      grid.scrollTop = grid.scrollHeight;
      await frame();
    }
    expect(client.asked.length).to.be.greaterThanOrEqual(40);
    expect(client.asked.every((a) => a.query === undefined)).to.equal(true);
    const loaded = (list as unknown as { rows: unknown[] }).rows.length;
    expect(loaded).to.be.greaterThan(1000);
    expect(rows().length).to.be.lessThan(40, `still only the rows in view of ${loaded}`);

    // Keyboard: Home goes to the first row even from far below; the focused row stays in the DOM when scrolled off.
    root.querySelector<HTMLElement>('[part="conversation"]')!.focus();
    await sendKeys({ press: 'Home' });
    await until('the first row focused', () => root.activeElement?.textContent?.trim() === 'Conversation 0');
    expect(grid.scrollTop).to.equal(0);
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'ArrowDown' });
    await until('the third row focused', () => root.activeElement?.textContent?.trim() === 'Conversation 2');
    grid.scrollTop = 20_000;
    await frame();
    await frame();
    expect(root.activeElement?.textContent?.trim()).to.equal('Conversation 2', 'focus is not lost by scrolling');
    expect(root.querySelectorAll('[tabindex="0"]')).to.have.length(1);
    expect(await axe(list)).to.deep.equal([]);

    // Search: the relay is asked once typing pauses, and finds a title not loaded yet.
    const asked = client.asked.length;
    const search = root.querySelector<HTMLInputElement>('[part="search"]')!;
    search.focus();
    // Keys typed faster than the pause (sendKeys and even frames under load can be slower than it, so the input
    // events are sent at once).
    for (const typed of ['N', 'NE', 'NEE', 'NEED', 'NEEDL', 'NEEDLE']) {
      search.value = typed;
      search.dispatchEvent(new Event('input'));
    }
    await until('the relay answer', () => rows().some((r) => r.textContent!.includes('Needle in the haystack')));
    const searches = client.asked.slice(asked);
    expect(searches.map((a) => a.query)).to.deep.equal(['NEEDLE'], 'one request, after the pause in typing');
    expect(rows().map((r) => r.textContent!.trim())).to.deep.equal(['Needle in the haystack']);
    expect(await axe(list)).to.deep.equal([]);
  });
});

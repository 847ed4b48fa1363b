/**
 * The demo as a new user meets it: `node demo/start.js` (what `npm start` runs after building), Debian's
 * Chromium driven by playwright-core, a message typed into the page, a streamed markdown answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Page } from 'playwright-core';
import { startDemo, type Demo } from './support/demo.js';

let demo: Demo;

before(async () => {
  // The simulator's default profile, as `npm start` has it: answers stream for seconds, so "Stop generating"
  // is clicked mid-answer even on a slow, loaded machine (with the 'fast' profile an answer could end first).
  demo = await startDemo();
});

after(async () => {
  await demo?.close();
});

const openChat = (path = ''): Promise<Page> => demo.openChat(path);

interface ListState {
  rows: number;
  loaded: number;
  firstKey: string | null;
  lastKey: string | null;
  following: boolean;
  jumpHidden: boolean;
}

/** The transcript as the reader sees it: rows in the DOM, messages the client holds, the follow state. */
function listState(page: Page): Promise<ListState> {
  return page.evaluate(() => {
    const chat = document.querySelector('llc-chat') as unknown as HTMLElement & {
      conversationId: string;
      client: { snapshot(id: string): { messages: unknown[] } };
    };
    const list = chat.shadowRoot!.querySelector('llc-message-list') as unknown as HTMLElement & { following: boolean };
    const rows = [...list.shadowRoot!.querySelectorAll('llc-message')];
    return {
      rows: rows.length,
      loaded: chat.client.snapshot(chat.conversationId).messages.length,
      firstKey: rows[0]?.getAttribute('message-key') ?? null,
      lastKey: rows.at(-1)?.getAttribute('message-key') ?? null,
      following: list.following,
      jumpHidden: list.shadowRoot!.querySelector<HTMLButtonElement>('.jump')!.hidden === true,
    };
  });
}

/**
 * The message at the top edge of the transcript's viewport, with its offset from that edge: what the reader sees.
 * (The first row in the DOM is not it: the virtualizer renders a few rows above the viewport, more or fewer as
 * rows get measured.)
 */
const readerPosition = (page: Page) =>
  page.evaluate(() => {
    const list = document.querySelector('llc-chat')!.shadowRoot!.querySelector('llc-message-list')!;
    const top = list.shadowRoot!.querySelector<HTMLElement>('.log')!.getBoundingClientRect().top;
    for (const row of list.shadowRoot!.querySelectorAll<HTMLElement>('.row')) {
      const rect = row.getBoundingClientRect();
      if (rect.top <= top + 1 && rect.bottom > top + 1) {
        const key = row.querySelector('llc-message')!.getAttribute('message-key');
        return { key, offset: Math.round(rect.top - top) };
      }
    }
    return { key: null, offset: 0 };
  });

const scrollLog = (page: Page, by: number) =>
  page.evaluate((delta) => {
    const list = document.querySelector('llc-chat')!.shadowRoot!.querySelector('llc-message-list')!;
    list.shadowRoot!.querySelector<HTMLElement>('.log')!.scrollTop += delta;
  }, by);

describe('demo end to end (real Chromium, real stack)', () => {
  it('serves the page and streams a markdown answer to a typed message', async () => {
    const page = await openChat();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Explain how token streaming works, with an example.');
    await box.press('Enter');

    const log = page.getByRole('log');
    await log.getByText('Explain how token streaming works, with an example.').waitFor();
    // The answer streams: it is busy first, then done, with rendered markdown (not raw markup).
    const answer = page.locator('llc-message[role-name="assistant"]').first();
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 30_000 });
    const html = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.innerHTML);
    assert.match(html, /<(h[1-6]|ul|ol|table|pre|p)[\s>]/, 'markdown rendered to elements');
    const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    assert.ok(text.trim().length > 40, 'a substantial answer');
    assert.ok(!/^#{1,6} /m.test(text), 'no raw heading markup in the text');
    await page.close();
  });

  it('is accessible from day one: log, labelled textbox, Send and Stop generating', async () => {
    const page = await openChat();
    assert.equal(await page.getByRole('log').count(), 1);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Write a long answer about distributed systems.');
    assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 1);
    await page.getByRole('button', { name: 'Send' }).click();
    const stop = page.getByRole('button', { name: 'Stop generating' });
    await stop.waitFor();
    const busy = page.locator('llc-message[role-name="assistant"] article[aria-busy="true"]');
    await busy.first().waitFor();
    await stop.click();
    await page.locator('llc-message[role-name="assistant"]').last().getByText('Stopped.').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await page.close();
  });

  it('shows the conversation again after a reload (history from the relay)', async () => {
    const page = await openChat();
    const box = page.getByRole('textbox', { name: 'Message' });
    const question = `Remember this: ${Date.now()}`;
    await box.fill(question);
    await box.press('Enter');
    await page
      .locator('llc-message[role-name="assistant"] article[aria-busy="false"]')
      .last()
      .waitFor({ timeout: 30_000 });
    await page.reload();
    await page.getByRole('log').getByText(question).waitFor();
    await page.close();
  });

  it('a 10,000-message conversation: older pages load while scrolling up, the DOM stays small, a new answer streams without moving the reader', async () => {
    const page = await openChat('?user=sample-reader&conversation=c_sample_history');
    await page.getByRole('log').getByText('Question 5000:').waitFor({ timeout: 20_000 });
    // The list opens at the newest message; when the virtualizer's chunk arrives after the first rows, it takes
    // over and settles at the end over a few frames (rows measured as they render), so the check waits for that.
    let start = await listState(page);
    for (let i = 0; i < 50 && start.lastKey !== 'sample-9999'; i++) {
      await page.waitForTimeout(100);
      start = await listState(page);
    }
    assert.equal(start.lastKey, 'sample-9999', `opens at the newest message (following: ${start.following})`);
    assert.ok(start.loaded < 200, `only the newest page is loaded at first (${start.loaded})`);

    // Scroll up through the history: older pages come in from the relay as the reader nears the top.
    let state = start;
    for (let i = 0; i < 60 && state.loaded < 1000; i++) {
      await scrollLog(page, -4000);
      await page.waitForTimeout(60);
      state = await listState(page);
      assert.ok(state.rows < 60, `a bounded DOM (${state.rows} rows)`);
    }
    assert.ok(state.loaded >= 1000, `older history paged in (${state.loaded} messages loaded)`);
    assert.equal(state.following, false);
    assert.equal(state.jumpHidden, false, '"Jump to latest" is offered');

    // Let a page that the last scroll asked for arrive (it is prepended above the reader, who must not move).
    for (let settled = 0, loaded = state.loaded; settled < 5;) {
      await page.waitForTimeout(100);
      const now = (await listState(page)).loaded;
      settled = now === loaded ? settled + 1 : 0;
      loaded = now;
    }
    // A question from up here: its answer streams at the end while the reader stays where they are.
    const reading = await readerPosition(page);
    assert.ok(reading.key, 'a message is at the top of the viewport');
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('A question asked while reading old answers.');
    await box.press('Enter');
    await page.waitForFunction(
      () => {
        const chat = document.querySelector('llc-chat') as unknown as {
          conversationId: string;
          client: { snapshot(id: string): { messages: { role: string; status: string }[] } };
        };
        const last = chat.client.snapshot(chat.conversationId).messages.at(-1);
        return last?.role === 'assistant' && last.status === 'done';
      },
      undefined,
      { timeout: 30_000 },
    );
    const after = await listState(page);
    const now = await readerPosition(page);
    assert.equal(now.key, reading.key, 'the reader was not moved');
    assert.ok(Math.abs(now.offset - reading.offset) <= 2, `nor shifted (${reading.offset} → ${now.offset} px)`);
    assert.equal(after.following, false);

    await page.getByRole('button', { name: 'Jump to latest' }).click();
    await page.waitForFunction(
      () => {
        const list = document.querySelector('llc-chat')!.shadowRoot!.querySelector('llc-message-list') as unknown as {
          following: boolean;
        };
        return list.following;
      },
      undefined,
      { timeout: 10_000 },
    );
    await page.getByRole('log').getByText('A question asked while reading old answers.').waitFor();
    await page.close();
  });
});

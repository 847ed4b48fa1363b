/**
 * The client's connection layer as users meet it in the demo (`node demo/start.js`, Debian's Chromium via
 * playwright-core): tabs of one browser share one relay connection (checked on the relay's
 * `llc_relay_connections`), the connection moves when its owner tab closes without losing a token, a network
 * drop mid-answer loses nothing, and a message written offline is delivered exactly once after a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type Demo } from './support/demo.js';

let demo: Demo;

before(async () => {
  // The simulator's default profile, as `npm start` has it: an answer streams for seconds, so the "mid-answer"
  // tests below really act mid-answer (each checks that text kept arriving after its disruption).
  demo = await startDemo();
});

after(async () => {
  await demo?.close();
});

async function relayConnections(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', demo.url))).text();
  return Number(/^llc_relay_connections (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Polls until `fn` returns a value (the relay's metrics change asynchronously to the page). */
async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(demo.url);
  await page.waitForFunction(
    () =>
      (document.querySelector('llc-chat') as unknown as { client?: { connectionStatus: string } }).client
        ?.connectionStatus === 'open',
  );
  return page;
}

function stats(page: Page): Promise<{ mode: string; status: string }> {
  return page.evaluate(() => {
    const s = (document.querySelector('llc-chat') as unknown as { client: { stats: { mode: string; status: string } } })
      .client.stats;
    return { mode: s.mode, status: s.status };
  });
}

/** The texts of the messages a page shows, as [role, text]. */
function transcript(page: Page): Promise<[string, string][]> {
  return page.evaluate(() => {
    const chat = document.querySelector('llc-chat') as unknown as {
      client: { snapshot(id: string): { messages: { role: string; text: string }[] } };
      conversationId: string;
    };
    return chat.client.snapshot(chat.conversationId).messages.map((m) => [m.role, m.text] as [string, string]);
  });
}

/** Characters of the last answer in a transcript (0 when there is none yet). */
function answerLength(messages: [string, string][]): number {
  const last = messages.at(-1);
  return last?.[0] === 'assistant' ? last[1].length : 0;
}

type ChatElement = {
  client?: { snapshot(id: string): { busy: boolean; messages: { role: string; status: string; text: string }[] } };
  conversationId: string;
};

/** The last answer finished (read from the client the page's <llc-chat> uses, not from its markup). */
function answerDone(page: Page): Promise<unknown> {
  return page.waitForFunction(
    () => {
      const chat = document.querySelector('llc-chat') as unknown as ChatElement;
      const s = chat.client?.snapshot(chat.conversationId);
      return (
        s !== undefined && !s.busy && s.messages.at(-1)?.role === 'assistant' && s.messages.at(-1)?.status === 'done'
      );
    },
    undefined,
    { timeout: 30_000 },
  );
}

/** The page's client holds the user message `text` (rendering is the elements' tests' business). */
function shows(page: Page, text: string): Promise<unknown> {
  return page.waitForFunction((t) => {
    const chat = document.querySelector('llc-chat') as unknown as ChatElement;
    // After a reload the page has no client until the demo's import of the elements has run.
    return chat.client?.snapshot(chat.conversationId).messages.some((m) => m.role === 'user' && m.text === t) ?? false;
  }, text);
}

function answerStreaming(page: Page): Promise<unknown> {
  return page.waitForFunction(() => {
    const chat = document.querySelector('llc-chat') as unknown as ChatElement;
    return (
      chat.client
        ?.snapshot(chat.conversationId)
        .messages.some((m) => m.role === 'assistant' && m.status === 'streaming' && m.text.length > 0) ?? false
    );
  });
}

async function ask(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** Pages without SharedWorker: the client elects a leader tab with Web Locks. */
async function leaderContext(): Promise<BrowserContext> {
  const context = await demo.browser.newContext();
  await context.addInitScript(() => {
    delete (globalThis as { SharedWorker?: unknown }).SharedWorker;
  });
  return context;
}

describe('client connection layer in the demo (real Chromium, real stack)', () => {
  it('shares one relay connection between the tabs of a browser (SharedWorker) and streams one answer into all', async () => {
    const baseline = await relayConnections();
    const context = await demo.browser.newContext();
    const tabs = [await openTab(context), await openTab(context), await openTab(context)];
    for (const tab of tabs) assert.equal((await stats(tab)).mode, 'shared-worker');
    await eventually(
      async () => ((await relayConnections()) === baseline + 1 ? true : undefined),
      'one relay connection for three tabs',
    );

    const question = `Shared by every tab ${Date.now()}`;
    await ask(tabs[0]!, question);
    for (const tab of tabs) await shows(tab, question);
    for (const tab of tabs) await answerDone(tab);
    const first = await transcript(tabs[0]!);
    assert.equal(first.at(-1)?.[0], 'assistant');
    for (const tab of tabs.slice(1)) assert.deepEqual(await transcript(tab), first, 'every tab shows the same answer');
    assert.equal(await relayConnections(), baseline + 1);

    // The worker outlives the tab that started it.
    await tabs[0]!.close();
    await ask(tabs[1]!, `Still connected ${Date.now()}`);
    await answerDone(tabs[2]!);
    assert.equal(await relayConnections(), baseline + 1);
    await context.close();
    await eventually(
      async () => ((await relayConnections()) === baseline ? true : undefined),
      'the connection to close with the last tab',
    );
  });

  it('moves the connection to another tab when the leader tab closes mid-answer, losing no token', async () => {
    const baseline = await relayConnections();
    const context = await leaderContext();
    const leader = await openTab(context);
    const follower = await openTab(context);
    assert.equal((await stats(leader)).mode, 'leader');
    assert.equal((await stats(follower)).mode, 'follower');
    assert.equal(await relayConnections(), baseline + 1);

    await ask(leader, 'Write a long answer about distributed systems.');
    await answerStreaming(follower);
    const atClose = answerLength(await transcript(follower));
    await leader.close();
    await answerDone(follower);
    assert.equal((await stats(follower)).mode, 'leader');
    const shown = await transcript(follower);
    assert.ok(
      answerLength(shown) > atClose,
      `the answer went on after the leader closed (${atClose} → ${answerLength(shown)} chars)`,
    );
    await eventually(
      async () => ((await relayConnections()) === baseline + 1 ? true : undefined),
      'one connection, now owned by the former follower',
    );

    // What the relay stored is exactly what the follower showed: no token lost or doubled across the move.
    const reader = await openTab(context);
    await eventually(
      async () => (JSON.stringify(await transcript(reader)) === JSON.stringify(shown) ? true : undefined),
      'the stored transcript to equal the shown one',
    );
    await context.close();
  });

  it('loses nothing when the network drops mid-answer and comes back', async () => {
    const context = await leaderContext();
    const page = await openTab(context);
    const cdp = await context.newCDPSession(page);
    await ask(page, 'Write a long answer about distributed systems.');
    await answerStreaming(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: true,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await page.waitForFunction(
      () =>
        (document.querySelector('llc-chat') as unknown as { client: { connectionStatus: string } }).client
          .connectionStatus === 'offline',
    );
    const offline = answerLength(await transcript(page));
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await answerDone(page);
    const shown = await transcript(page);
    assert.ok(
      answerLength(shown) > offline,
      `the rest of the answer came after the network returned (${offline} → ${answerLength(shown)} chars)`,
    );

    // A fresh browser of the same user (same localStorage, empty IndexedDB) gets the same text from the relay.
    const storage = await page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    const fresh = await demo.browser.newContext();
    await fresh.addInitScript((entries: Record<string, string>) => {
      for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v);
    }, storage);
    const reader = await openTab(fresh);
    await eventually(
      async () => (JSON.stringify(await transcript(reader)) === JSON.stringify(shown) ? true : undefined),
      'the same transcript in a fresh browser',
    );
    await fresh.close();
    await context.close();
  });

  it('delivers a message written offline exactly once after a reload', async () => {
    const context = await leaderContext();
    const page = await openTab(context);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: true,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await page.waitForFunction(
      () =>
        (document.querySelector('llc-chat') as unknown as { client: { connectionStatus: string } }).client
          .connectionStatus === 'offline',
    );

    const question = `Written offline ${Date.now()}`;
    await ask(page, question);
    await shows(page, question);
    // Stored in the outbox before anything was sent.
    await page.waitForFunction(
      async (q) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open(`llc:ws://${location.host}/ws`);
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error ?? new Error('indexedDB.open failed'));
        });
        const rows = await new Promise<{ frame: { text: string } }[]>((resolve) => {
          const r = db.transaction('outbox').objectStore('outbox').getAll();
          r.onsuccess = () => resolve(r.result as { frame: { text: string } }[]);
        });
        db.close();
        return rows.some((row) => row.frame.text === q);
      },
      question,
      { polling: 100 },
    );

    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await page.reload();
    await shows(page, question);
    await answerDone(page);

    // Exactly once: one copy of the question and one answer to it, in the page and in the relay's history.
    const count = async (p: Page) => {
      const messages = await transcript(p);
      const i = messages.findIndex(([role, text]) => role === 'user' && text === question);
      return {
        copies: messages.filter(([role, text]) => role === 'user' && text === question).length,
        next: messages[i + 1]?.[0],
        after: messages.length - i - 1,
      };
    };
    assert.deepEqual(await count(page), { copies: 1, next: 'assistant', after: 1 });
    await page.reload();
    await shows(page, question);
    await answerDone(page);
    assert.deepEqual(await count(page), { copies: 1, next: 'assistant', after: 1 });
    await context.close();
  });
});

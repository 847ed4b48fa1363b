/**
 * Killing the relay mid-answer and starting it again: every part a real process (nats-server with JetStream,
 * redis-server, the vLLM simulator, llc-bridge, llc-relay serving the demo page), Debian's Chromium driving the
 * page. The relay is SIGKILLed while the answer streams and restarted on the same port; the page reconnects
 * with backoff, resumes from its last seq, and ends with the complete answer — the same text a fresh browser
 * (empty IndexedDB) assembles from the relay afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  chromiumLaunchOptions,
  freePort,
  startNats,
  startProcess,
  startRedis,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
const relayCli = `${root}packages/stack/dist/cli/relay-cli.js`;
const bridgeCli = `${root}packages/inference-bridge/dist/cli/bridge-cli.js`;
const simCli = `${root}packages/vllm-sim/dist/cli/sim-cli.js`;
const SECRET = 'client-relay-restart-secret-of-32-chars-or-more';

let nats: RunningServer;
let redis: RunningServer;
let sim: StartedProcess;
let bridge: StartedProcess;
let relay: StartedProcess | undefined;
let browser: Browser;
let port: number;

async function startRelay(): Promise<StartedProcess> {
  return startProcess(
    process.execPath,
    // Dev tokens signed with a fixed secret, so tokens outlive the process like production keys do.
    [
      relayCli,
      '--dev',
      '--auth-jwt-secret',
      SECRET,
      '--port',
      String(port),
      '--broker',
      nats.url,
      '--store',
      redis.url,
      '--bridge',
      'none',
      '--processes',
      '1',
      '--static',
      `${root}demo/dist`,
    ],
    { ready: /llc-relay listening on/, env: { LLC_LOG_LEVEL: 'warn' } },
  );
}

before(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  // A realistic speed, so an answer lasts long enough to kill the relay in the middle of it.
  sim = await startProcess(process.execPath, [simCli, '--port', '0', '--profile', '8b-h100'], {
    ready: /listening on (http:\/\/\S+)/,
  });
  bridge = await startProcess(process.execPath, [bridgeCli, '--broker', nats.url, '--backend-url', sim.match[1]!], {
    ready: /llc-bridge ready/,
  });
  port = await freePort();
  relay = await startRelay();
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await relay?.kill().catch(() => undefined);
  await bridge?.stop();
  await sim?.stop();
  await nats?.stop();
  await redis?.stop();
});

async function openChat(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  // The demo imports the elements after reading its query (so <llc-chat> upgrades as the right user): the load
  // event does not wait for that import, so a fresh page has no client for a moment.
  await page.waitForFunction(
    () => (document.querySelector('llc-chat') as unknown as { client?: unknown }).client !== undefined,
  );
  return page;
}

function answer(page: Page): Promise<{ role: string; text: string; status: string }[]> {
  return page.evaluate(() => {
    const chat = document.querySelector('llc-chat') as unknown as {
      client: { snapshot(id: string): { messages: { role: string; text: string; status: string }[] } };
      conversationId: string;
    };
    return chat.client
      .snapshot(chat.conversationId)
      .messages.map((m) => ({ role: m.role, text: m.text, status: m.status }));
  });
}

describe('client: the relay dies mid-answer and comes back', () => {
  it('ends with the complete transcript, equal to what a fresh browser gets from the relay', async () => {
    const context = await browser.newContext();
    const page = await openChat(context);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Write a long answer about distributed systems and consensus.');
    await box.press('Enter');

    // Streaming: some text is on screen and more is coming.
    await page.waitForFunction(() => {
      const chat = document.querySelector('llc-chat') as unknown as {
        client: { snapshot(id: string): { messages: { role: string; text: string; status: string }[] } };
        conversationId: string;
      };
      return chat.client
        .snapshot(chat.conversationId)
        .messages.some((m) => m.role === 'assistant' && m.status === 'streaming' && m.text.length > 0);
    });
    const atKill = (await answer(page)).at(-1)!.text.length;
    await relay!.kill();
    relay = await startRelay();

    await page.waitForFunction(
      () => {
        const chat = document.querySelector('llc-chat') as unknown as {
          client: { snapshot(id: string): { busy: boolean; messages: { role: string; status: string }[] } };
          conversationId: string;
        };
        const s = chat.client.snapshot(chat.conversationId);
        return !s.busy && s.messages.at(-1)?.role === 'assistant' && s.messages.at(-1)?.status === 'done';
      },
      undefined,
      { timeout: 60_000 },
    );
    const shown = await answer(page);
    assert.deepEqual(
      shown.map((m) => [m.role, m.status]),
      [
        ['user', 'done'],
        ['assistant', 'done'],
      ],
    );
    assert.ok(shown[1]!.text.length > 100, 'a substantial answer');
    assert.ok(
      shown[1]!.text.length > atKill,
      `the answer went on after the relay came back (${atKill} → ${shown[1]!.text.length} chars)`,
    );

    // A fresh browser of the same user (same localStorage, empty IndexedDB) gets the same transcript from the relay.
    const storage = await page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    const fresh = await browser.newContext();
    await fresh.addInitScript((entries: Record<string, string>) => {
      for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v);
    }, storage);
    const reader = await openChat(fresh);
    await reader.waitForFunction(
      (expected) => {
        const chat = document.querySelector('llc-chat') as unknown as {
          client: { snapshot(id: string): { messages: { role: string; text: string; status: string }[] } };
          conversationId: string;
        };
        const got = chat.client.snapshot(chat.conversationId).messages.map((m) => [m.role, m.text, m.status]);
        return JSON.stringify(got) === expected;
      },
      JSON.stringify(shown.map((m) => [m.role, m.text, m.status])),
      { timeout: 30_000 },
    );
    await fresh.close();
    await context.close();
  });
});

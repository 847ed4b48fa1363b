/**
 * The conversations a user lives in, end to end: the `llc-relay` command (dev auth, the in-process simulator,
 * the built demo page) with `--feedback-webhook` pointing at a real HTTP receiver on this machine, and Debian's
 * Chromium clicking the message actions.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
let relay: StartedProcess;
let browser: Browser;
let url: string;
let webhook: Server;
const posts: Record<string, unknown>[] = [];

before(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      posts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/feedback`;
  relay = await startProcess(
    process.execPath,
    [
      'packages/stack/bin/llc-relay.js',
      '--dev',
      '--simulate',
      '--sim-profile',
      'fast',
      '--port',
      '0',
      '--static',
      'demo/dist',
      '--feedback-webhook',
      hookUrl,
    ],
    { cwd: root, env: { LLC_LOG_LEVEL: 'warn' }, ready: /llc-relay listening on (http:\/\/\S+)/, timeoutMs: 60_000 },
  );
  url = relay.match[1]!;
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await relay?.stop();
  webhook?.close();
});

async function openChat(user: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`${url}/?user=${user}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  return page;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('conversations', () => {
  it('a thumbs-down (with a comment) reaches the webhook', async () => {
    const user = `e2e-fb-${Date.now()}`;
    const page = await openChat(user);
    await page.getByRole('textbox', { name: 'Message' }).fill('Name a colour.');
    await page.keyboard.press('Enter');
    const bad = page.getByRole('button', { name: 'Bad answer' });
    await bad.waitFor({ timeout: 60_000 });
    await bad.click();
    await page.getByRole('textbox', { name: 'Add a comment (optional)' }).fill('Not a colour I know');
    await page.keyboard.press('Enter');
    const withComment = await until('the comment at the webhook', () => posts.find((p) => 'comment' in p));
    const first = posts[0]!;
    assert.equal(first.rating, 'down');
    assert.equal(first.userId, user);
    assert.equal(withComment.rating, 'down');
    assert.equal(withComment.comment, 'Not a colour I know');
    assert.equal(withComment.streamId, first.streamId);
    assert.match(String(first.messageId), /^a/);
    // The page's conversation is the one rated.
    const conversationId = await page.evaluate(
      () => (document.querySelector('llc-chat') as unknown as { conversationId: string }).conversationId,
    );
    assert.equal(first.conversationId, conversationId);
    assert.equal(await bad.getAttribute('aria-pressed'), 'true');
    await page.close();
  });
});

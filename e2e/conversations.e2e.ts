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
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { HistoryPageFrame } from '@locallightchat/protocol';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';

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

async function openChat(user: string, context?: BrowserContext): Promise<Page> {
  const page = await (context ?? browser).newPage();
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

  it("deletes a conversation: none of it stays in the Store, the relay's retained streams or IndexedDB, on every tab", async () => {
    const user = `e2e-del-${Date.now()}`;
    // One browser profile: its tabs share the connection (a shared worker) and the IndexedDB database.
    const context = await browser.newContext();
    const page = await openChat(user, context);
    await page.getByRole('textbox', { name: 'Message' }).fill('Tell me a secret recipe.');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Bad answer' }).waitFor({ timeout: 60_000 });
    const conversationId = await page.evaluate(
      () => (document.querySelector('llc-chat') as unknown as { conversationId: string }).conversationId,
    );
    // A second tab of the same user and origin, showing the same conversation.
    const other = await context.newPage();
    await other.goto(`${url}/?user=${user}&conversation=${conversationId}`);
    await other.getByRole('button', { name: 'Bad answer' }).waitFor({ timeout: 60_000 });
    // Plain JavaScript (tsx would add helpers the page does not have to named inner functions).
    const cached = () =>
      page.evaluate(`(async () => {
        const name = (await indexedDB.databases()).map((d) => d.name).find((n) => n && n.startsWith('llc:'));
        if (!name) return 'no database';
        const db = await new Promise((resolve, reject) => {
          const r = indexedDB.open(name);
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        const all = (store) => new Promise((resolve) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => resolve(r.result);
        });
        const conversations = await all('conversations');
        const outbox = await all('outbox');
        db.close();
        return JSON.stringify({
          conversation: conversations.some((c) => c.id === ${JSON.stringify(conversationId)}),
          outbox: outbox.some((o) => o.frame.conversationId === ${JSON.stringify(conversationId)}),
        });
      })()`);
    for (let i = 0; i < 100 && (await cached()) !== JSON.stringify({ conversation: true, outbox: false }); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(await cached(), JSON.stringify({ conversation: true, outbox: false }), 'cached before the delete');
    const streamId = await page.evaluate((id) => {
      const chat = document.querySelector('llc-chat') as unknown as {
        client: { snapshot(id: string): { messages: { role: string; streamId?: string }[] } };
      };
      return chat.client.snapshot(id).messages.find((m) => m.role === 'assistant')!.streamId!;
    }, conversationId);

    await page.evaluate(
      (id) =>
        (
          document.querySelector('llc-chat') as unknown as { client: { deleteConversation(id: string): Promise<void> } }
        ).client.deleteConversation(id),
      conversationId,
    );
    // Both tabs drop it from the screen; the device cache (shared by the tabs) has none of it.
    for (const tab of [page, other])
      await tab.waitForFunction(
        (id) =>
          (
            document.querySelector('llc-chat') as unknown as {
              client: { snapshot(id: string): { messages: unknown[] } };
            }
          ).client.snapshot(id).messages.length === 0,
        conversationId,
        { timeout: 20_000 },
      );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await cached(), JSON.stringify({ conversation: false, outbox: false }));

    // The relay, asked directly as the same user: no history, no list entry, no stream to resume.
    const token = (
      (await (await fetch(`${url}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ user }) })).json()) as {
        token: string;
      }
    ).token;
    const wsUrl = url.replace(/^http/, 'ws') + '/ws';
    const probe = await ProtocolClient.connect(wsUrl, token);
    probe.send({ type: 'list-conversations' });
    const list = await probe.next('conversation-list');
    assert.equal(
      list.conversations.some((c) => c.conversationId === conversationId),
      false,
    );
    probe.send({ type: 'history', conversationId, limit: 50 });
    const history: HistoryPageFrame = await probe.next('history-page');
    assert.deepEqual(history.messages, []);
    const from = probe.frames.length;
    probe.send({ type: 'resume', conversationId, streamId, fromSeq: 1 });
    assert.equal((await probe.next('error', from)).code, 'resume-unavailable');
    await probe.close();
    await context.close();
  });
});

/**
 * A `useChat` app (real `ai` + `@ai-sdk/react` + React, bundled with esbuild; packages/ai-sdk/test/use-chat-page)
 * whose only LocalLightChat part is `LlcChatTransport`, served by a real relay (embedded stack, simulated vLLM at
 * a GPU's pace slowed 4×) in Debian's Chromium: it streams an answer, and a reload mid-answer resumes it — the
 * text from before the reload continues to the relay's whole answer, shown once, and useChat streams again.
 * Two tabs share one connection (the client's SharedWorker, served beside the app).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '@locallightchat/test-support';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const root = fileURLToPath(new URL('..', import.meta.url));
const site = mkdtempSync(join(tmpdir(), 'llc-ai-sdk-'));
let stack: TestStack;
let browser: Browser;

before(async () => {
  const common: BuildOptions = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    conditions: ['llc-source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  };
  await build({
    ...common,
    entryPoints: [join(root, 'packages/ai-sdk/test/use-chat-page/app.ts')],
    outfile: join(site, 'app.js'),
  });
  // The client finds its worker beside itself (`new URL('./shared-worker.js', import.meta.url)`): beside app.js.
  await build({
    ...common,
    entryPoints: [join(root, 'packages/client/src/links/shared-worker.ts')],
    outfile: join(site, 'shared-worker.js'),
  });
  writeFileSync(
    join(site, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8" /><title>useChat over LocalLightChat</title></head>' +
      '<body><div id="root"></div><script type="module" src="./app.js"></script></body></html>\n',
  );
  stack = await startTestStack({ staticDir: site, profile: '8b-h100', speed: 0.25 });
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(site, { recursive: true, force: true });
});

async function open(page: Page, chat: string): Promise<void> {
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`${stack.httpUrl}/?chat=${chat}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: 30_000 });
}

const answers = (page: Page) => page.locator('li[data-role="assistant"]');
const status = (page: Page) => page.getByTestId('status').textContent();
const statuses = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __chat: { statuses: string[] } }).__chat.statuses);

describe('useChat with LlcChatTransport in Chromium', () => {
  it('streams an answer, and resumes it after a reload mid-answer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await open(page, 'e2e_resume');
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Tell me about the history of rivers and canals.');
    await box.press('Enter');
    await page.locator('li[data-role="user"]').first().waitFor();
    // Some text on screen, the answer still streaming: reload now.
    await page.waitForFunction(
      () => (document.querySelector('li[data-role="assistant"]')?.textContent ?? '').length > 40,
      undefined,
      { timeout: 60_000 },
    );
    const before = (await answers(page).first().textContent()) ?? '';
    assert.equal(await status(page), 'streaming', 'the reload lands mid-answer');
    assert.ok((await statuses(page)).includes('submitted'));

    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => {
        const chat = (globalThis as unknown as { __chat: { statuses: string[] } }).__chat;
        return chat.statuses.includes('streaming') && chat.statuses.at(-1) === 'ready';
      },
      undefined,
      { timeout: 120_000 },
    );
    assert.equal(await answers(page).count(), 1, 'the resumed answer is shown once');
    const after = (await answers(page).first().textContent()) ?? '';
    assert.ok(after.startsWith(before), 'the text from before the reload continues');
    assert.ok(after.length > before.length, 'and grew after the reload');

    // The relay's stored answer is exactly what the page shows.
    const stored = await page.evaluate(async () => {
      const chat = (
        globalThis as unknown as { __chat: { transport: { loadMessages(id: string): Promise<unknown[]> } } }
      ).__chat;
      return chat.transport.loadMessages('e2e_resume');
    });
    const last = stored.at(-1) as { role: string; parts: { type: string; text: string }[] };
    assert.equal(last.role, 'assistant');
    assert.equal(
      last.parts
        .filter((p) => p.type === 'text')
        .map((p) => p.text)
        .join(''),
      after,
    );
    await context.close();
  });

  it('shares one connection between two tabs', async () => {
    const context = await browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    await open(a, 'e2e_tabs');
    await open(b, 'e2e_tabs');
    const mode = (page: Page) =>
      page.evaluate(async () => {
        const chat = (
          globalThis as unknown as {
            __chat: { transport: { client: { stats: { mode: string }; sessionId?: string } } };
          }
        ).__chat;
        const deadline = Date.now() + 20_000;
        while (!chat.transport.client.sessionId && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return { mode: chat.transport.client.stats.mode, session: chat.transport.client.sessionId };
      });
    const [ma, mb] = [await mode(a), await mode(b)];
    assert.equal(ma.mode, 'shared-worker');
    assert.equal(mb.mode, 'shared-worker');
    assert.ok(ma.session, 'connected');
    assert.equal(ma.session, mb.session, 'one relay session for both tabs');
    // The other tab follows the conversation through the same connection: the answer reaches it too.
    const box = a.getByRole('textbox', { name: 'Message' });
    await box.fill('Say hello.');
    await box.press('Enter');
    const settled = (page: Page) =>
      page.waitForFunction(
        () => {
          const chat = (globalThis as unknown as { __chat: { statuses: string[] } }).__chat;
          return chat.statuses.at(-1) === 'ready' && chat.statuses.includes('streaming');
        },
        undefined,
        { timeout: 120_000 },
      );
    await settled(a);
    const answer = (await answers(a).first().textContent()) ?? '';
    assert.ok(answer.length > 20, 'tab A has its answer');
    const inB = await b.evaluate(async () => {
      const chat = (
        globalThis as unknown as {
          __chat: { transport: { client: { snapshot(id: string): { messages: { role: string; text: string }[] } } } };
        }
      ).__chat;
      return chat.transport.client.snapshot('e2e_tabs').messages.map((m) => [m.role, m.text]);
    });
    assert.deepEqual(
      inB,
      [
        ['user', 'Say hello.'],
        ['assistant', answer],
      ],
      'tab B’s client holds the same turn',
    );
    await context.close();
  });
});

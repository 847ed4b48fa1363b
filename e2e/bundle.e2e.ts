/**
 * The single-file bundle as the README's plain-HTML example uses it: `npm run bundle` output copied next to an
 * HTML page with nothing but `<script type="module" src="llc-elements.min.js">` and `<llc-chat>`, served by a
 * real relay (embedded stack + vLLM simulator), in Debian's Chromium. The chat answers, all tabs share the
 * connection through the bundle's sibling shared-worker.js, and large code blocks are highlighted by its
 * sibling highlight-worker.js.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const root = fileURLToPath(new URL('..', import.meta.url));
const site = mkdtempSync(join(tmpdir(), 'llc-bundle-'));
let stack: TestStack;
let browser: Browser;

const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>LocalLightChat from the bundle</title></head>
  <body>
    <script type="module" src="./llc-elements.min.js"></script>
    <llc-chat token-url="/auth/dev-token" style="height: 90vh"></llc-chat>
  </body>
</html>
`;

before(async () => {
  execFileSync(process.execPath, ['packages/elements/scripts/bundle.mjs'], { cwd: root, stdio: 'pipe' });
  for (const file of ['llc-elements.min.js', 'shared-worker.js', 'highlight-worker.js']) {
    copyFileSync(join(root, 'packages/elements/dist-bundle', file), join(site, file));
  }
  writeFileSync(join(site, 'index.html'), PAGE);
  stack = await startTestStack({ staticDir: site });
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(site, { recursive: true, force: true });
});

async function open(): Promise<{ page: Page; requested: string[] }> {
  const page = await browser.newPage();
  const requested: string[] = [];
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(stack.httpUrl + '/');
  return { page, requested };
}

describe('single-file bundle in a plain HTML page', () => {
  it('chats, with the connection in the shared worker beside the bundle', async () => {
    const { page, requested } = await open();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Say hello from the bundle.');
    await box.press('Enter');
    const answer = page.locator('llc-message[role-name="assistant"]').first();
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 30_000 });
    const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    assert.ok(text.trim().length > 20, `a real answer, got ${JSON.stringify(text)}`);
    const mode = await page.evaluate(() => (document.querySelector('llc-chat') as unknown as { client: { stats: { mode: string } } }).client.stats.mode);
    assert.equal(mode, 'shared-worker');
    assert.ok(requested.includes('/shared-worker.js'), 'the shared worker script was loaded from beside the bundle');
    await page.close();
  });

  it('highlights a large code block in the worker beside the bundle', async () => {
    const { page, requested } = await open();
    const result = await page.evaluate(async () => {
      // The same module instance the page's <script> loaded: the bundle's exports.
      const llc = (await import('/llc-elements.min.js' as string)) as {
        configureHighlighting(o: { inlineMaxChars: number }): void;
        highlightStats: { worker: number; inline: number };
      };
      llc.configureHighlighting({ inlineMaxChars: 1_000 });
      const code = Array.from({ length: 500 }, (_, i) => `const v${i} = await load("/item/${i}"); // ${i}\n`).join('');
      const message = document.createElement('llc-message') as HTMLElement & { text: string };
      message.setAttribute('role-name', 'assistant');
      message.text = '```js\n' + code + '```\n';
      document.body.append(message);
      const deadline = Date.now() + 20_000;
      while (!message.shadowRoot?.querySelector('code.hljs .hljs-keyword')) {
        if (Date.now() > deadline) throw new Error('the block was not highlighted');
        await new Promise((r) => setTimeout(r, 50));
      }
      return { chars: code.length, text: message.shadowRoot!.querySelector('code.hljs')!.textContent === code, stats: { ...llc.highlightStats } };
    });
    assert.ok(result.chars > 8_000, 'past the inline fallback limit: only the worker can highlight it');
    assert.equal(result.text, true, 'the highlighted text is the code');
    assert.equal(result.stats.worker, 1);
    assert.ok(requested.includes('/highlight-worker.js'), 'the highlight worker script was loaded from beside the bundle');
    await page.close();
  });
});

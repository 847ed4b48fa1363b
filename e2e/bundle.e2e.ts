/**
 * The single-file bundle as the README's plain-HTML example uses it: `npm run bundle` output copied next to an
 * HTML page with nothing but `<script type="module" src="llc-elements.min.js">` and `<llc-chat>`, served by a
 * real relay (embedded stack + vLLM simulator), in Debian's Chromium. The chat answers, all tabs share the
 * connection through the bundle's sibling shared-worker.js, and large code blocks are highlighted by its
 * sibling highlight-worker.js.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromiumLaunchOptions } from '@locallightchat/test-support';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const root = fileURLToPath(new URL('..', import.meta.url));
const site = mkdtempSync(join(tmpdir(), 'llc-bundle-'));
let stack: TestStack;
let browser: Browser;

/** The README's plain-HTML example; `head` adds to it (the CSP test's policy). */
const pageHtml = (head = '') => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />${head}
    <title>LocalLightChat from the bundle</title>
    <link rel="stylesheet" href="./page.css" />
  </head>
  <body>
    <script type="module" src="./llc-elements.min.js"></script>
    <llc-chat dev token-url="/auth/dev-token"></llc-chat>
  </body>
</html>
`;

/** A strict policy: nothing inline, same-origin only, and Trusted Types enforced for every script sink. */
const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "require-trusted-types-for 'script'",
].join('; ');

before(async () => {
  execFileSync(process.execPath, ['packages/elements/scripts/bundle.mjs'], { cwd: root, stdio: 'pipe' });
  for (const file of [
    'llc-elements.min.js',
    'shared-worker.js',
    'highlight-worker.js',
    'llc-math.js',
    'llc-mermaid.js',
  ]) {
    copyFileSync(join(root, 'packages/elements/dist-bundle', file), join(site, file));
  }
  // The chunks the bundle loads on demand, beside it as the package ships them.
  cpSync(join(root, 'packages/elements/dist-bundle/chunks'), join(site, 'chunks'), { recursive: true });
  writeFileSync(join(site, 'index.html'), pageHtml());
  writeFileSync(
    join(site, 'strict.html'),
    pageHtml(`\n    <meta http-equiv="Content-Security-Policy" content="${STRICT_CSP}" />`),
  );
  writeFileSync(join(site, 'page.css'), 'llc-chat { display: block; height: 90vh; }\n');
  stack = await startTestStack({ staticDir: site });
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(site, { recursive: true, force: true });
});

async function open(path = '/'): Promise<{ page: Page; requested: string[]; violations: () => Promise<string[]> }> {
  const page = await browser.newPage();
  const requested: string[] = [];
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as { __violations?: string[] }).__violations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`),
    );
  });
  await page.goto(stack.httpUrl + path);
  const violations = () => page.evaluate(() => (globalThis as { __violations?: string[] }).__violations ?? []);
  return { page, requested, violations };
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
    const mode = await page.evaluate(
      () =>
        (document.querySelector('llc-chat') as unknown as { client: { stats: { mode: string } } }).client.stats.mode,
    );
    assert.equal(mode, 'shared-worker');
    assert.ok(requested.includes('/shared-worker.js'), 'the shared worker script was loaded from beside the bundle');
    assert.ok(
      !requested.some((path) => path.startsWith('/chunks/in-page-')),
      'the in-page connection (Session, transports, msgpackr) is not loaded while the shared worker holds the socket',
    );
    // The markdown renderer is not in the entry: its chunk was loaded from beside the bundle and rendered the
    // answer (the plain text shown while it loads is replaced).
    assert.ok(
      requested.some((path) => path.startsWith('/chunks/markdown-chunk-')),
      'the markdown renderer chunk was loaded from chunks/',
    );
    await answer.locator('.content.markdown:not(.plain) > *').first().waitFor({ timeout: 10_000 });
    // The history's virtualizer likewise: its chunk came from beside the bundle and took over the plain rows.
    assert.ok(
      requested.some((path) => path.startsWith('/chunks/virtualizer-chunk-')),
      'the virtualizer chunk was loaded from chunks/',
    );
    await page.locator('llc-message-list .spacer:not(.plain) > .row').first().waitFor({ timeout: 10_000 });
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
      return {
        chars: code.length,
        text: message.shadowRoot!.querySelector('code.hljs')!.textContent === code,
        stats: { ...llc.highlightStats },
      };
    });
    assert.ok(result.chars > 8_000, 'past the inline fallback limit: only the worker can highlight it');
    assert.equal(result.text, true, 'the highlighted text is the code');
    assert.equal(result.stats.worker, 1);
    assert.ok(
      requested.includes('/highlight-worker.js'),
      'the highlight worker script was loaded from beside the bundle',
    );
    await page.close();
  });

  it('runs under a strict CSP with Trusted Types enforced: no violation while chatting, rendering markdown and highlighting', async () => {
    const { page, requested, violations } = await open('/strict.html');
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Explain with a list and a code example.');
    await box.press('Enter');
    const answer = page.locator('llc-message[role-name="assistant"]').first();
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 30_000 });
    const rendered = await page.evaluate(async () => {
      const llc = (await import('/llc-elements.min.js' as string)) as {
        configureHighlighting(o: { inlineMaxChars: number }): void;
        highlightStats: { worker: number };
      };
      llc.configureHighlighting({ inlineMaxChars: 1_000 });
      const code = Array.from({ length: 300 }, (_, i) => `let v${i} = "<b>${i}</b>"; // ${i}\n`).join('');
      const message = document.createElement('llc-message') as HTMLElement & { text: string };
      message.setAttribute('role-name', 'assistant');
      message.text = `# Title\n\nSome **bold** [ok](https://example.com) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>\n\nEntities: &copy; &notit; &amp &#x2014; &MadeUp; [q](https://example.com/?a=1&amp;b=2)\n\n\`\`\`js\n${code}\`\`\`\n\n\`\`\`js\nlet small = 1;\n\`\`\`\n`;
      document.body.append(message);
      const deadline = Date.now() + 20_000;
      while ((message.shadowRoot?.querySelectorAll('code.hljs').length ?? 0) < 2) {
        if (Date.now() > deadline) throw new Error('the blocks were not highlighted');
        await new Promise((r) => setTimeout(r, 50));
      }
      const shadow = message.shadowRoot!;
      return {
        h1: shadow.querySelector('h1')?.textContent,
        links: [...shadow.querySelectorAll('a')].map((a) => a.getAttribute('href')),
        img: shadow.querySelectorAll('img').length,
        entities: [...shadow.querySelectorAll('p')].find((p) => p.textContent!.startsWith('Entities:'))?.textContent,
        stats: { ...llc.highlightStats },
      };
    });
    assert.equal(rendered.h1, 'Title');
    assert.deepEqual(
      rendered.links,
      ['https://example.com', 'https://example.com/?a=1&b=2'],
      'the javascript: link is not made a link',
    );
    // The bundle decodes entities with the browser's parser instead of a table, as markdown-it would with one:
    // complete references only, in text and in link destinations. (A link shows its real host after its text.)
    assert.equal(rendered.entities, 'Entities: © &notit; &amp — &MadeUp; q (example.com)');
    assert.equal(rendered.img, 0, 'raw HTML from the model is not rendered');
    assert.equal(rendered.stats.worker, 1, 'the large block was highlighted in the worker (a TrustedScriptURL)');
    assert.deepEqual(await violations(), [], 'no CSP or Trusted Types violation');
    // The policy really is in force (so "no violation" means something): an HTML string sink and an inline
    // style are both refused on this page.
    const enforced = await page.evaluate(() => {
      const div = document.createElement('div');
      let sinkRefused = false;
      try {
        div.innerHTML = '<b>x</b>';
      } catch {
        sinkRefused = true;
      }
      div.setAttribute('style', 'color: red');
      document.body.append(div);
      return { sinkRefused, inlineStyleApplied: getComputedStyle(div).color === 'rgb(255, 0, 0)' };
    });
    assert.deepEqual(enforced, { sinkRefused: true, inlineStyleApplied: false });
    const mode = await page.evaluate(
      () =>
        (document.querySelector('llc-chat') as unknown as { client: { stats: { mode: string } } }).client.stats.mode,
    );
    assert.equal(mode, 'shared-worker', 'the shared worker started under Trusted Types');
    assert.ok(requested.includes('/highlight-worker.js'));
    const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    assert.ok(text.trim().length > 20, 'the answer streamed under the policy');
    await page.close();
  });
});

/**
 * The example apps under examples/, each built from the packed tarballs (test-support/src/packed.ts: `npm pack`
 * of every publishable package, installed into a fresh project outside the repository) and served by the
 * `llc-relay` bin of the installed stack package (`--dev --simulate`: the embedded stack with the vLLM
 * simulator), then driven in Debian's Chromium: type a message, see the answer stream in.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { packedWorkspaces, type PackedWorkspaces } from '@locallightchat/test-support/packed';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'llc-examples-'));
let packed: PackedWorkspaces;
let browser: Browser;
const relays: StartedProcess[] = [];

before(async () => {
  packed = await packedWorkspaces();
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  for (const relay of relays) await relay.stop();
  if (packed?.owned) rmSync(packed.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** The installed elements package's CDN folder (the bundle and its two workers). */
const bundleDir = () => join(packed.project, 'node_modules/@locallightchat/elements/dist-bundle');

/** `llc-relay --dev --simulate` from the installed tarball, serving `site`; returns its URL. */
async function serve(site: string): Promise<string> {
  const relay = await startProcess(
    join(packed.project, 'node_modules/.bin/llc-relay'),
    ['--dev', '--simulate', '--port', '0', '--processes', '1', '--static', site],
    {
      cwd: packed.project,
      ready: /llc-relay listening on (http:\/\/\S+)/,
      env: { LLC_LOG_LEVEL: 'warn' },
      timeoutMs: 60_000,
    },
  );
  relays.push(relay);
  return relay.match[1]!.replace(/\/$/, '');
}

/**
 * Opens `url`, types a message into `<llc-chat>` and waits for the answer. Returns the answer's text and how
 * many different lengths it was seen at while it was still streaming (aria-busy="true").
 */
async function chat(url: string, question: string): Promise<{ text: string; partials: number; mode: string }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    // Every file the page asks for is there (the browser's own favicon request aside).
    if (response.status() >= 400 && path !== '/favicon.ico') errors.push(`${response.status()} ${path}`);
  });
  await page.goto(url);
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(question);
  await box.press('Enter');
  const answer = page.locator('llc-message[role-name="assistant"]').first();
  await answer.waitFor({ timeout: 60_000 });
  const lengths = new Set<number>();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await answer.evaluate((el) => ({
      busy: el.shadowRoot?.querySelector('article')?.getAttribute('aria-busy') === 'true',
      length: (el.shadowRoot?.querySelector('.content')?.textContent ?? '').length,
    }));
    if (state.busy && state.length > 0) lengths.add(state.length);
    if (!state.busy && state.length > 0) break;
    assert.ok(Date.now() < deadline, 'the answer did not finish within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
  const mode = await page.evaluate(
    () =>
      (document.querySelector('llc-chat') as unknown as { client?: { stats: { mode: string } } }).client?.stats.mode ??
      'none',
  );
  await page.close();
  assert.deepEqual(errors, [], 'no page errors, no missing files');
  return { text, partials: lengths.size, mode };
}

function assertStreamedAnswer(result: { text: string; partials: number; mode: string }): void {
  assert.ok(result.text.trim().length > 20, `a real answer, got ${JSON.stringify(result.text)}`);
  assert.ok(result.partials >= 2, `seen streaming at ${result.partials} different lengths`);
  assert.equal(result.mode, 'shared-worker', 'the connection is in the shared worker hosted beside the script');
}

describe('examples/html: one script tag from the packed bundle, workers beside it', () => {
  it('chats, the answer streaming in', async () => {
    const site = join(scratch, 'html');
    cpSync(join(root, 'examples/html'), site, { recursive: true });
    for (const file of ['llc-elements.min.js', 'shared-worker.js', 'highlight-worker.js'])
      cpSync(join(bundleDir(), file), join(site, file));
    const url = await serve(site);
    assertStreamedAnswer(await chat(`${url}/`, 'Explain streaming in three sentences.'));
  });
});

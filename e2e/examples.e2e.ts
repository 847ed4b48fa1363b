/**
 * The example apps under examples/, each built from the packed tarballs (test-support/src/packed.ts: `npm pack`
 * of every publishable package, installed into a fresh project outside the repository) and served by the
 * `llc-relay` bin of the installed stack package (`--dev --simulate`: the embedded stack with the vLLM
 * simulator), then driven in Debian's Chromium: type a message, see the answer stream in.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { packedWorkspaces, type PackedWorkspaces } from '@locallightchat/test-support/packed';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
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
async function chat(
  url: string,
  question: string,
  check?: (page: Page) => Promise<void>,
): Promise<{ text: string; partials: number; mode: string }> {
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
  await box.fill(question).catch((error: Error) => {
    throw new Error(`${error.message}\npage errors: ${errors.join('\n') || 'none'}`);
  });
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
  await check?.(page);
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
    // As the example's README says: everything in dist-bundle/ beside the page.
    cpSync(bundleDir(), site, { recursive: true });
    const url = await serve(site);
    assertStreamedAnswer(await chat(`${url}/`, 'Explain streaming in three sentences.'));
  });
});

/**
 * Copies an example app to a scratch folder and installs it as its README says, except that `@locallightchat/*`
 * come from the packed tarballs (direct and transitive: overrides), the relay comes from the shared packed
 * project instead of the app's own `@locallightchat/stack` dev dependency, and the repository's TypeScript is used
 * instead of the app's `typescript` (both to keep the install small).
 */
async function installExample(name: string): Promise<string> {
  const app = join(scratch, name);
  cpSync(join(root, 'examples', name), app, {
    recursive: true,
    filter: (source) => !source.includes('node_modules'),
  });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  delete manifest.devDependencies['@locallightchat/stack'];
  delete manifest.devDependencies['typescript'];
  const overrides: Record<string, string> = {};
  for (const pkg of packed.packages) {
    if (pkg.name in manifest.dependencies) manifest.dependencies[pkg.name] = `file:${pkg.tarball}`;
    else overrides[pkg.name] = `file:${pkg.tarball}`;
  }
  manifest.overrides = overrides;
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  return app;
}

/** `tsc -p app`: its error lines (empty when it type-checks). */
async function typeErrors(app: string): Promise<string[]> {
  const output = await run(process.execPath, [tsc, '-p', app], { cwd: app }).then(
    (r) => r.stdout,
    (error: { stdout: string }) => error.stdout,
  );
  return output.split('\n').filter((line) => line.includes('error TS'));
}

describe('examples/react: <LlcChat> from @locallightchat/react (packed), typed props and events', () => {
  it('type-checks (and a wrong prop or event use does not), builds, chats with the answer streaming in, onSend fires', async () => {
    const app = await installExample('react');
    assert.deepEqual(await typeErrors(app), [], 'the example type-checks');
    // The typings have teeth: a number for a string prop and a detail field that does not exist are errors.
    writeFileSync(
      join(app, 'src/wrong.tsx'),
      [
        "import { LlcChat } from '@locallightchat/react';",
        'export const a = <LlcChat tokenUrl={42} />;',
        'export const b = <LlcChat onSend={(e) => e.detail.nope} />;',
        '',
      ].join('\n'),
    );
    const wrong = await typeErrors(app);
    unlinkSync(join(app, 'src/wrong.tsx'));
    assert.equal(wrong.length, 2, wrong.join('\n'));
    assert.match(wrong[0]!, /wrong\.tsx\(2,/);
    assert.match(wrong[1]!, /wrong\.tsx\(3,.*'nope'/);

    await run('npm', ['run', 'build', '--silent'], { cwd: app });
    const url = await serve(join(app, 'public'));
    const result = await chat(`${url}/`, 'Explain streaming in three sentences.', async (page) => {
      assert.equal(await page.getByTestId('sent-count').textContent(), 'Sent: 1', 'onSend fired once');
    });
    assertStreamedAnswer(result);
  });
});

describe('examples/vue: <llc-chat> rendered by Vue 3, elements from the packed tarball', () => {
  it('type-checks, builds, chats with the answer streaming in, the llc-send handler fires', async () => {
    const app = await installExample('vue');
    assert.deepEqual(await typeErrors(app), [], 'the example type-checks');
    await run('npm', ['run', 'build', '--silent'], { cwd: app });
    const url = await serve(join(app, 'public'));
    const result = await chat(`${url}/`, 'Explain streaming in three sentences.', async (page) => {
      assert.equal(await page.getByTestId('sent-count').textContent(), 'Sent: 1', 'the llc-send handler ran once');
    });
    assertStreamedAnswer(result);
  });
});

/**
 * The token-url flow as docs/auth.md describes it, end to end: a relay in production mode started with
 * `--auth-jwks-url` (and issuer/audience checks), "your app" (e2e/support/token-app.ts) serving the page with the
 * packed CDN bundle, a session cookie, a token endpoint minting RS256 JWTs and the JWKS, and
 * `<llc-chat token-url="/api/llc-token">` in Debian's Chromium chatting through the relay. Mid-test the app
 * rotates its signing key (the new key published beside the old one): a new session's token carries the new
 * `kid`, the relay fetches the JWKS again and accepts it. Also: without `dev` the element posts no user name; with
 * `dev` it does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { packedWorkspaces, type PackedWorkspaces } from '@locallightchat/test-support/packed';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { TokenApp } from './support/token-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ISSUER = 'https://app.example.test';
const AUDIENCE = 'llc-relay';
/** jose's JWKS cooldown in the relay: after a fetch, an unknown `kid` fetches again only after this long. */
const JWKS_COOLDOWN_MS = 30_000;

const site = mkdtempSync(join(tmpdir(), 'llc-auth-'));
let packed: PackedWorkspaces;
let app: TokenApp;
let relay: StartedProcess;
let browser: Browser;

const page = (relayWs: string, attributes: string) => `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Auth sample</title></head>
  <body>
    <script type="module" src="/llc-elements.min.js"></script>
    <llc-chat ${attributes} relay-url="${relayWs}" token-url="/api/llc-token" style="display:block;height:90vh"></llc-chat>
  </body>
</html>
`;

before(async () => {
  packed = await packedWorkspaces();
  const bundle = join(packed.project, 'node_modules/@locallightchat/elements/dist-bundle');
  app = new TokenApp({
    issuer: ISSUER,
    audience: AUDIENCE,
    files: {
      // All of dist-bundle/, chunks/ included (the bundle loads its on-demand chunks from there).
      ...Object.fromEntries(
        readdirSync(bundle, { recursive: true, encoding: 'utf8' })
          .filter((name) => statSync(join(bundle, name)).isFile())
          .map((name) => [name, join(bundle, name)]),
      ),
      'index.html': join(site, 'index.html'),
      'dev.html': join(site, 'dev.html'),
    },
  });
  await app.start();
  relay = await startProcess(
    process.execPath,
    [
      join(root, 'packages/stack/dist/cli/relay-cli.js'),
      '--auth-jwks-url',
      `${app.url}/.well-known/jwks.json`,
      '--auth-issuer',
      ISSUER,
      '--auth-audience',
      AUDIENCE,
      '--allowed-origins',
      app.url,
      '--simulate',
      '--port',
      '0',
      '--processes',
      '1',
    ],
    { ready: /llc-relay listening on http:\/\/[^:]+:(\d+)/, env: { LLC_LOG_LEVEL: 'warn' }, timeoutMs: 60_000 },
  );
  assert.doesNotMatch(relay.output(), /DEV MODE/);
  const relayWs = `ws://127.0.0.1:${relay.match[1]}/ws`;
  writeFileSync(join(site, 'index.html'), page(relayWs, ''));
  writeFileSync(join(site, 'dev.html'), page(relayWs, 'dev user="dev-carol"'));
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await relay?.stop();
  await app?.close();
  if (packed?.owned) rmSync(packed.dir, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

/** Logs `user` in (session cookie), opens the chat page and asks; returns the streamed answer's text. */
async function chatAs(context: BrowserContext, user: string, path = '/'): Promise<string> {
  const tab = await context.newPage();
  tab.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await tab.goto(`${app.url}/login?user=${user}`);
  if (path !== '/') await tab.goto(app.url + path);
  const box = tab.getByRole('textbox', { name: 'Message' });
  await box.fill(`Hello, I am ${user}.`);
  await box.press('Enter');
  const answer = tab.locator('llc-message[role-name="assistant"]').first();
  await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 60_000 });
  const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
  await tab.close();
  return text;
}

describe('token-url against a relay with --auth-jwks-url', () => {
  it('chats with a token from the app, then again after the app rotates its signing key', async () => {
    const first = await browser.newContext();
    const text = await chatAs(first, 'alice');
    assert.ok(text.trim().length > 20, `a real answer, got ${JSON.stringify(text)}`);
    const firstKid = app.signingKid;
    assert.deepEqual(
      app.issued.map((i) => [i.user, i.kid]),
      [['alice', firstKid]],
    );
    assert.deepEqual(app.issued[0]!.body, {}, 'without `dev` the element posts no user name');
    assert.ok(app.jwksFetches.length >= 1, 'the relay fetched the JWKS');
    await first.close();

    // Rotation: the new key is published beside the old, and signs from now on. The relay sees an unknown kid
    // and fetches the JWKS again once its cooldown since the last fetch has passed (docs/auth.md).
    const newKid = app.rotate();
    assert.notEqual(newKid, firstKid);
    const fetchesBefore = app.jwksFetches.length;
    const wait = app.jwksFetches.at(-1)! + JWKS_COOLDOWN_MS + 1_000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const second = await browser.newContext();
    const after = await chatAs(second, 'bob');
    assert.ok(after.trim().length > 20, `a real answer after the rotation, got ${JSON.stringify(after)}`);
    assert.deepEqual(app.issued.at(-1), { user: 'bob', kid: newKid, body: {} });
    assert.ok(app.jwksFetches.length > fetchesBefore, 'the relay fetched the rotated JWKS');
    await second.close();
  });

  it('refuses a token whose key the app never published, and one for another audience', async () => {
    const forged = new TokenApp({ issuer: ISSUER, audience: AUDIENCE, files: {} }).mint('mallory');
    const wrongAudience = new TokenApp({ issuer: ISSUER, audience: 'someone-else', files: {} });
    const outcomes = await Promise.all([forged, wrongAudience.mint('mallory')].map((token) => helloOutcome(token)));
    for (const outcome of outcomes) assert.match(outcome, /unauthorized|4001/);
  });

  it('posts the dev {user} body only when the element has the dev attribute', async () => {
    const context = await browser.newContext();
    // The app ignores the body (the user comes from its cookie): the request is what is checked here.
    await chatAs(context, 'carol', '/dev.html');
    assert.deepEqual(app.issued.at(-1)!.body, { user: 'dev-carol' });
    await context.close();
  });
});

/** Connects with `token` through the test protocol client; returns how the relay answered. */
async function helloOutcome(token: string): Promise<string> {
  try {
    const client = await ProtocolClient.connect(`ws://127.0.0.1:${relay.match[1]}/ws`, token);
    client.ws.close();
    return 'welcome';
  } catch (error) {
    return String(error);
  }
}

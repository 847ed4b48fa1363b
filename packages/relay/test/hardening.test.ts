/**
 * The low findings of issue 12 as regression tests: the static server's root and headers, and the HS256 fast
 * path's signature encoding.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryBroker } from '@locallightchat/broker';
import { Authenticator, MemoryStore, startRelay, type Logger, type Relay } from '@locallightchat/relay';
import { verifyHs256 } from '@locallightchat/relay/internal';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

describe('static files: root and headers (L2, L3)', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llc-static-'));
    const root = join(dir, 'site');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>chat</title>');
    writeFileSync(join(root, 'app.js'), 'export {};');
    writeFileSync(join(dir, 'secret.txt'), 'outside the root');
    mkdirSync(join(dir, 'private'));
    writeFileSync(join(dir, 'private', 'key.txt'), 'outside too');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
    symlinkSync(join(dir, 'private'), join(root, 'linked'));
    symlinkSync(join(root, 'app.js'), join(root, 'alias.js'));
    stack = await startTestStack({ staticDir: root });
  });
  after(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses symlinks that resolve outside the static root, and serves those inside it', async () => {
    for (const path of ['/leak.txt', '/linked/key.txt']) {
      const res = await fetch(`${stack.httpUrl}${path}`);
      const body = await res.text();
      assert.equal(res.status, 404, `${path}: ${body}`);
      assert.doesNotMatch(body, /outside/);
    }
    const inside = await fetch(`${stack.httpUrl}/alias.js`);
    assert.equal(inside.status, 200);
    assert.equal(await inside.text(), 'export {};');
  });

  it('sends a Content-Security-Policy with frame-ancestors, X-Frame-Options and nosniff', async () => {
    const res = await fetch(`${stack.httpUrl}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /img-src 'self' data:/, 'model output cannot load images from other hosts');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('HS256 fast path: canonical signatures only (L5)', () => {
  const secret = new TextEncoder().encode('a-test-secret-of-enough-length-123456');
  const rules = { clockToleranceSec: 0 };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'alice' })}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');

  it('accepts the canonical encoding', () => {
    assert.equal(verifyHs256(`${signingInput}.${signature}`, secret, rules).kind, 'valid');
  });

  it('refuses padding, junk, standard base64 and a changed last character', () => {
    const last = signature.at(-1)!;
    // 32 bytes → 43 characters; the last one carries 2 unused bits, so 4 characters decode alike.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[(alphabet.indexOf(last) & ~3) + ((alphabet.indexOf(last) + 1) & 3)]!;
    const variants = [
      `${signature}=`,
      `${signature}==`,
      `${signature}A`,
      `${signature}!`,
      `${signature} `,
      Buffer.from(signature, 'base64url').toString('base64'),
      signature.slice(0, -1) + sibling,
    ].filter((v) => v !== signature);
    for (const variant of variants) {
      assert.equal(verifyHs256(`${signingInput}.${variant}`, secret, rules).kind, 'invalid', variant);
    }
  });
});

describe('metrics in production mode (L4)', () => {
  const METRICS_TOKEN = 'a-metrics-token-for-the-scraper';
  const relays: Relay[] = [];
  async function relayWith(metricsToken?: string): Promise<Relay> {
    const auth = await Authenticator.create({ mode: 'jwt', secret: 'a-production-secret-of-enough-length-1234' });
    const relay = await startRelay(
      { host: '127.0.0.1', port: 0, ...(metricsToken ? { metricsToken } : {}) },
      { broker: new MemoryBroker(), store: new MemoryStore(), auth, log: quiet },
    );
    relays.push(relay);
    return relay;
  }
  after(async () => {
    for (const r of relays) await r.close();
  });

  it('does not serve /metrics on the client port without the bearer token', async () => {
    const open = await relayWith();
    assert.equal((await fetch(`${open.url}/metrics`)).status, 404);
    const guarded = await relayWith(METRICS_TOKEN);
    assert.equal((await fetch(`${guarded.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /llc_relay_connections/);
  });
});

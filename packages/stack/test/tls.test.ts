/**
 * TLS both ways a deployment can take it, with real TLS clients trusting a CA made by openssl in the test:
 * `llc-relay --tls-cert/--tls-key` (uWS.SSLApp) serves https and wss itself, and deploy/nginx/llc.conf run by
 * Debian's nginx terminates TLS in front of a plain relay. Over both, a chat turn completes (hello → welcome →
 * send → tokens → stream-end); a client that does not trust the CA is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  decodeServerFrame,
  encodeFrame,
  type ClientFrame,
  type ServerFrame,
} from '@locallightchat/protocol';
import {
  freePort,
  makeTestCertificates,
  startProcess,
  waitForPort,
  type StartedProcess,
} from '@locallightchat/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const relayCli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const NGINX = process.env.LLC_NGINX ?? '/usr/sbin/nginx';
const dir = mkdtempSync(join(tmpdir(), 'llc-tls-'));
const certs = makeTestCertificates(dir);
const ca = readFileSync(certs.caCert);

function postJson(url: string, body: unknown, trust: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: trust, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** One chat turn over wss: returns the frame types seen and the answer's text. */
async function chatTurn(wsUrl: string, token: string): Promise<{ types: string[]; text: string }> {
  const ws = new WebSocket(wsUrl, ['llc.v1'], { ca });
  const frames: ServerFrame[] = [];
  let wake = () => {};
  ws.on('message', (data: Buffer) => {
    const r = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (r.ok) frames.push(r.frame);
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (frame: ClientFrame) => ws.send(encodeFrame(frame));
  const until = async (type: string) => {
    const deadline = Date.now() + 30_000;
    while (!frames.some((f) => f.type === type)) {
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${frames.map((f) => f.type).join(',')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  };
  try {
    send({ type: 'hello', v: PROTOCOL_VERSION, token, client: 'tls-test' });
    await until('welcome');
    send({
      type: 'send',
      clientMessageId: `m-${Date.now()}`,
      conversationId: `tls-${Date.now()}`,
      text: 'Hello over TLS',
    });
    await until('stream-end');
    const text = frames.map((f) => (f.type === 'token' ? f.text : '')).join('');
    return { types: [...new Set(frames.map((f) => f.type))], text };
  } finally {
    ws.close();
  }
}

function relay(args: string[]): Promise<StartedProcess> {
  return startProcess(
    process.execPath,
    [relayCli, '--dev', '--simulate', '--sim-profile', 'fast', '--port', '0', ...args],
    {
      cwd: root,
      env: { LLC_DEV: '' },
      ready: /llc-relay listening on (https?):\/\/127\.0\.0\.1:(\d+)/,
    },
  );
}

describe('TLS', () => {
  const started: { stop(): Promise<unknown> }[] = [];
  after(async () => {
    for (const p of started.reverse()) await p.stop();
  });

  it('llc-relay --tls-cert/--tls-key serves https and wss: a chat turn completes, an untrusting client is refused', async () => {
    const node = await relay(['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey]);
    started.push(node);
    assert.equal(node.match[1], 'https');
    const base = `https://127.0.0.1:${node.match[2]}`;
    const minted = await postJson(`${base}/auth/dev-token`, { user: 'tls-user' }, ca);
    assert.equal(minted.status, 200, minted.body);
    const { token } = JSON.parse(minted.body) as { token: string };
    const turn = await chatTurn(`wss://127.0.0.1:${node.match[2]}/ws`, token);
    assert.ok(turn.types.includes('token') && turn.text.length > 0, JSON.stringify(turn));
    // A client without the CA: the TLS handshake fails, nothing is served.
    await assert.rejects(
      postJson(`${base}/auth/dev-token`, { user: 'x' }, Buffer.from('')),
      /certificate|self.signed|verify/i,
    );
  });

  it('refuses --tls-cert without --tls-key, and an unreadable certificate, with one clear line', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [relayCli, '--dev', '--simulate', '--port', '0', ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('exit', (code) => resolve({ code, stderr }));
      });
    const half = await run(['--tls-cert', certs.serverCert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const missing = await run(['--tls-cert', join(dir, 'nope.pem'), '--tls-key', certs.serverKey]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the TLS certificate .*nope\.pem/);
  });

  it(
    'deploy/nginx/llc.conf terminates TLS in front of a plain relay (Debian nginx)',
    { skip: !existsSync(NGINX) && `${NGINX} is missing` },
    async () => {
      const node = await relay([]);
      started.push(node);
      const nginxPort = await freePort();
      const conf = readFileSync(join(root, 'deploy/nginx/llc.conf'), 'utf8')
        .replace(
          /^\s*server relay-1:8787[^\n]*\n/m,
          `    server 127.0.0.1:${node.match[2]} max_fails=1 fail_timeout=2s;\n`,
        )
        .replace(/^\s*server relay-2:8787[^\n]*\n/m, '')
        .replace('listen 443 ssl;', `listen 127.0.0.1:${nginxPort} ssl;`)
        .replace('worker_processes auto;', 'worker_processes 1;')
        .replace('/etc/llc/tls/server.pem', certs.serverCert)
        .replace('/etc/llc/tls/server.key', certs.serverKey);
      const nginxDir = mkdtempSync(join(tmpdir(), 'llc-nginx-tls-'));
      writeFileSync(join(nginxDir, 'nginx.conf'), conf);
      const nginx = spawn(
        NGINX,
        ['-p', nginxDir, '-c', 'nginx.conf', '-e', 'stderr', '-g', `daemon off; pid ${join(nginxDir, 'pid')};`],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let errors = '';
      nginx.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      const exited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));
      started.push({
        stop: async () => {
          nginx.kill('SIGQUIT');
          await exited;
        },
      });
      await waitForPort(nginxPort, '127.0.0.1', 20_000).catch((error: unknown) => {
        throw new Error(`nginx did not start: ${String(error)} ${errors}`);
      });
      const base = `https://127.0.0.1:${nginxPort}`;
      const minted = await postJson(`${base}/auth/dev-token`, { user: 'nginx-user' }, ca);
      assert.equal(minted.status, 200, minted.body);
      const { token } = JSON.parse(minted.body) as { token: string };
      const turn = await chatTurn(`wss://127.0.0.1:${nginxPort}/ws`, token);
      assert.ok(turn.types.includes('token') && turn.text.length > 0, JSON.stringify(turn));
      assert.match(conf, /proxy_read_timeout (\d+)s;/);
      const readTimeout = Number(/proxy_read_timeout (\d+)s;/.exec(conf)![1]);
      assert.ok(readTimeout > 2 * 25, `proxy_read_timeout ${readTimeout}s is above two 25 s heartbeats`);
    },
  );
});

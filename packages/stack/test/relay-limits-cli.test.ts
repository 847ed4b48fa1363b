/**
 * The per-user limits and quotas of `llc-relay` (issue 12; the upload limits of issue 16) as flags, environment variables and config-file keys:
 * shown by --print-config, refused when nonsensical, and changing what the relay does (the compiled CLI in a
 * child process, a real socket).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode, newId } from '@locallightchat/protocol';
import { startProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';

const cli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LLC_DEV: '', ...env },
    // Generous: on this shared machine (load average 40+) a Node start alone has taken over 20 s.
    timeout: 90_000,
  });

describe('llc-relay limits', () => {
  it('takes the per-user limits and quotas from flags, env and the config file (--print-config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-relay-config-'));
    const config = join(dir, 'llc.yaml');
    writeFileSync(config, 'max-conversations-per-user: 3\nframe-rate-per-user: 0.5\nupload-max-bytes-per-user: 4096\n');
    const result = run(
      ['--config', config, '--print-config', '--max-connections-per-user', '2', '--upload-dir', '/srv/uploads'],
      { LLC_MAX_BYTES_PER_USER: '65536', LLC_UPLOAD_RATE_PER_USER: '0.25' },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^max-conversations-per-user: 3 # file$/m);
    assert.match(result.stdout, /^frame-rate-per-user: 0.5 # file$/m);
    assert.match(result.stdout, /^max-connections-per-user: 2 # flag$/m);
    assert.match(result.stdout, /^max-bytes-per-user: 65536 # env LLC_MAX_BYTES_PER_USER$/m);
    assert.match(result.stdout, /^max-messages-per-user: 50000 # default$/m);
    assert.match(result.stdout, /^upload-dir: \/srv\/uploads # flag$/m);
    assert.match(result.stdout, /^upload-max-bytes-per-user: 4096 # file$/m);
    assert.match(result.stdout, /^upload-rate-per-user: 0.25 # env LLC_UPLOAD_RATE_PER_USER$/m);
    assert.match(result.stdout, /^upload-burst-per-user: 60 # default$/m);
  });

  it('refuses a limit that is not a whole number ≥ 1 (exit 2, naming the flag)', () => {
    const result = run(['--dev', '--port', '0', '--max-connections-per-user', '0']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--max-connections-per-user must be a whole number ≥ 1, got 0/);
  });

  it('a lowered --max-connections-per-user refuses the second connection with 4029; a config-file quota refuses the second conversation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-relay-config-'));
    const config = join(dir, 'llc.yaml');
    const uploads = join(dir, 'uploads');
    writeFileSync(config, `max-conversations-per-user: 1\nupload-dir: ${uploads}\nupload-max-bytes-per-user: 10\n`);
    const node = await startProcess(
      process.execPath,
      [cli, '--dev', '--simulate', '--sim-profile', 'fast', '--port', '0', '--config', config],
      {
        env: { LLC_DEV: '', LLC_MAX_CONNECTIONS_PER_USER: '1', LLC_UPLOAD_BURST_PER_USER: '2' },
        ready: /WebSocket (ws:\/\/\S+);/,
        timeoutMs: 60_000,
      },
    );
    try {
      const wsUrl = node.match[1]!;
      const response = await fetch(new URL('/auth/dev-token', wsUrl.replace(/^ws/, 'http')), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'alice' }),
      });
      const { token } = (await response.json()) as { token: string };
      const first = await ProtocolClient.connect(wsUrl, token);
      // The store quota: one conversation, so a message in a second one is refused and nothing is stored.
      first.send({
        type: 'send',
        clientMessageId: newId('cm_'),
        conversationId: newId('c_'),
        text: 'hi',
        maxTokens: 5,
      });
      await first.next('ack');
      const refusedId = newId('cm_');
      const refusedConversation = newId('c_');
      const from = first.frames.length;
      first.send({
        type: 'send',
        clientMessageId: refusedId,
        conversationId: refusedConversation,
        text: 'again',
        maxTokens: 5,
      });
      const refusal = await first.next('error', from);
      assert.equal(refusal.code, 'quota-exceeded', refusal.message);
      first.send({ type: 'ping', ts: 1 });
      await first.next('pong', from);
      assert.ok(
        !first.frames.some((f) => f.type === 'ack' && f.clientMessageId === refusedId),
        'the message in a second conversation is not accepted',
      );
      // The connection limit: the same user's second socket is closed with 4029.
      const second = await ProtocolClient.open(wsUrl);
      second.send({ type: 'hello', v: 1, token, client: 'test' });
      await second.until(() => second.closeCode !== undefined, 'the close of the second connection');
      assert.equal(second.closeCode, CloseCode.TooManyConnections);
      assert.ok(first.isOpen, 'the first connection stays');
      await first.close();

      // The upload limits: the config file's 10-byte quota refuses an 11-byte file (413); the env's burst of two
      // requests refuses the third (429).
      const presign = (size: number) =>
        fetch(new URL('/uploads', wsUrl.replace(/^ws/, 'http')), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ name: 'a.txt', mediaType: 'text/plain', size }),
        });
      const big = await presign(11);
      assert.equal(big.status, 413);
      assert.equal(((await big.json()) as { code?: string }).code, 'upload-quota-exceeded');
      assert.equal((await presign(10)).status, 201);
      const limited = await presign(10);
      assert.equal(limited.status, 429);
      assert.ok(limited.headers.get('retry-after'));
    } finally {
      await node.stop();
    }
  });
});

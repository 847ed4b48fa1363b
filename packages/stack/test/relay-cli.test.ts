/**
 * The `llc-relay` command as a user runs it (the compiled CLI in a child process): usage errors exit 2 with
 * one clear line, and production mode refuses to start without authentication.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { startProcess } from '@locallightchat/test-support';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LLC_DEV: '', ...env },
    // Generous: on this shared machine (load average 40+) a Node start alone has taken over 20 s.
    timeout: 90_000,
  });

describe('llc-relay', () => {
  it('refuses to start in production mode without keys (exit 2, one clear line)', () => {
    const result = run(['--port', '0']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /production mode needs authentication/);
  });

  it('refuses production mode without --allowed-origins, naming the flag and the deliberate "*"', () => {
    const result = run(['--port', '0', '--auth-jwt-secret', 'a-very-long-shared-secret-of-32-chars']);
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /production mode needs --allowed-origins: .* or '\*' to accept any origin deliberately/,
    );
  });

  it('prints every setting with --help and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    for (const flag of [
      '--broker',
      '--store',
      '--simulate',
      '--processes',
      '--auth-jwks-url',
      '--drain-timeout-ms',
      '--max-connections-per-user',
      '--max-bytes-per-user',
      '--frame-rate-per-user',
      '--subscribe-burst-per-user',
      '--upload-dir',
      '--upload-max-bytes-per-user',
      '--upload-burst-per-user',
    ]) {
      assert.ok(result.stdout.includes(flag), `--help lists ${flag}`);
    }
  });

  it('refuses a --max-connections that is not a whole number ≥ 1', () => {
    for (const bad of ['0', '2.5']) {
      const result = run(['--dev', '--port', '0', '--max-connections', bad]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--max-connections must be a whole number ≥ 1/);
    }
  });

  it('refuses a --grant-secret shorter than 32 characters', () => {
    const result = run(['--dev', '--port', '0', '--grant-secret', 'short']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--grant-secret must be at least 32 characters/);
  });

  it('refuses a --grant-ttl-ms that is not a whole number ≥ 0', () => {
    for (const bad of ['-1', '1.5']) {
      const result = run(['--dev', '--port', '0', `--grant-ttl-ms=${bad}`]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--grant-ttl-ms must be a whole number ≥ 0/);
    }
  });

  it('refuses --processes > 1 on the in-process broker', () => {
    const result = run(['--dev', '--port', '0', '--processes', '2']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--processes > 1 needs --broker nats:\/\//);
  });

  it('--print-config shows the effective settings from --config, env and flags with secrets redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-relay-config-'));
    const config = join(dir, 'llc.yaml');
    writeFileSync(
      config,
      'port: 9000\nstore: redis://:redis-pw@redis:6379\nallowed-origins: [https://chat.example]\n' +
        'auth-jwt-secret: a-very-long-shared-secret-of-32-chars\n',
    );
    const result = run(['--config', config, '--print-config', '--port', '9100'], { LLC_BROKER: 'nats://nats:4222' });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!result.stdout.includes('redis-pw') && !result.stdout.includes('a-very-long'), result.stdout);
    assert.match(result.stdout, /^port: 9100 # flag$/m);
    assert.match(result.stdout, /^broker: nats:\/\/nats:4222 # env LLC_BROKER$/m);
    assert.match(result.stdout, /^store: redis:\/\/:redacted@redis:6379 # file$/m);
    assert.match(result.stdout, /^auth-jwt-secret: <redacted> # file$/m);
    assert.match(result.stdout, /^# file\nallowed-origins:\n {2}- https:\/\/chat\.example$/m);
  });

  it('refuses an unknown config key with a usage error naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-relay-config-'));
    const config = join(dir, 'llc.yaml');
    writeFileSync(config, 'allowed-origin: https://chat.example\n');
    const result = run(['--config', config]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown key "allowed-origin" \(did you mean "allowed-origins"\?\)/);
  });

  it('logs JSON lines on stderr at --log-level and above (relay, embedded bridge and broker share the logger)', async () => {
    const lines = async (level: string) => {
      const node = await startProcess(
        process.execPath,
        [cli, '--dev', '--simulate', '--sim-profile', 'fast', '--port', '0', '--log-level', level],
        // 120 s: at load 30-35 (the Node 24 pass) the relay had printed nothing after 30 s.
        { env: { LLC_DEV: '' }, ready: /llc-relay listening on/, timeoutMs: 120_000 },
      );
      // The exit code is another test's subject (multi-node.test.ts); here only what was logged until then.
      await node.stop();
      return node
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; name: string; msg: string; time: string });
    };
    const info = await lines('info');
    assert.ok(
      info.some((r) => r.level === 'info' && r.name === 'llc-relay' && /^embedded bridge:/.test(r.msg)),
      JSON.stringify(info),
    );
    assert.ok(info.some((r) => r.msg.startsWith('SIGTERM: draining')));
    assert.ok(info.every((r) => typeof r.time === 'string'));
    const warn = await lines('warn');
    assert.deepEqual(
      warn.filter((r) => r.level === 'info' || r.level === 'debug'),
      [],
      'no info lines at warn',
    );
  });
});

/**
 * The `llc-relay` command as a user runs it (the compiled CLI in a child process): usage errors exit 2 with
 * one clear line, and production mode refuses to start without authentication.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LLC_DEV: '', ...env },
    timeout: 20_000,
  });

describe('llc-relay', () => {
  it('refuses to start in production mode without keys (exit 2, one clear line)', () => {
    const result = run(['--port', '0']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /production mode needs authentication/);
  });

  it('prints every setting with --help and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    for (const flag of ['--broker', '--store', '--simulate', '--processes', '--auth-jwks-url', '--drain-timeout-ms']) {
      assert.ok(result.stdout.includes(flag), `--help lists ${flag}`);
    }
  });

  it('refuses --processes > 1 on the in-process broker', () => {
    const result = run(['--dev', '--port', '0', '--processes', '2']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--processes > 1 needs --broker nats:\/\//);
  });
});

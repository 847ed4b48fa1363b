/**
 * One config file against secured infrastructure, through the real commands: NATS with TLS (mutual) and nkey
 * auth, Redis with TLS (mutual), and Redis behind Sentinel. `llc-relay --config` and `llc-bridge --config` reach
 * both (their /readyz says broker and store connected); without the nkey the relay does not get into NATS.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import { stringify } from 'yaml';
import {
  freePort,
  makeTestCertificates,
  startProcess,
  startRedis,
  waitForPort,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';
import { startSimulator, type RunningSimulator } from '@locallightchat/vllm-sim';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const relayCli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const bridgeCli = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];
const SECRET = 'secured-backends-test-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'llc-secured-'));
const certs = makeTestCertificates(dir);

async function server(binary: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: 'ignore' });
  await waitForPort(port, '127.0.0.1', 15_000);
  return child;
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function configFile(name: string, settings: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(settings));
  return path;
}

async function readyz(port: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === 200 || Date.now() > deadline) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('secured NATS and Redis from one config file', () => {
  let nats: ChildProcess | undefined;
  let redisTls: ChildProcess | undefined;
  let sentinel: ChildProcess | undefined;
  let redisPlain: RunningServer | undefined;
  let sim: RunningSimulator | undefined;
  const started: StartedProcess[] = [];
  let natsUrl = '';
  let redisTlsUrl = '';
  let sentinelAddress = '';
  const seedFile = join(dir, 'user.nk');
  let natsSettings: Record<string, unknown> = {};

  before(async () => {
    const user = createUser();
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    const natsPort = await freePort();
    writeFileSync(
      join(dir, 'nats.conf'),
      `listen: 127.0.0.1:${natsPort}\njetstream { store_dir: "${join(dir, 'js')}" }\n` +
        `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.caCert}", verify: true }\n` +
        `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`,
    );
    nats = await server('nats-server', ['-c', join(dir, 'nats.conf')], natsPort);
    natsUrl = `nats://127.0.0.1:${natsPort}`;
    natsSettings = {
      broker: natsUrl,
      'nats-nkey-seed': seedFile,
      'nats-tls-ca': certs.caCert,
      'nats-tls-cert': certs.clientCert,
      'nats-tls-key': certs.clientKey,
    };

    const redisPort = await freePort();
    redisTls = await server(
      'redis-server',
      ['--port', '0', '--tls-port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
        .concat(['--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey])
        .concat(['--tls-ca-cert-file', certs.caCert, '--tls-auth-clients', 'yes']),
      redisPort,
    );
    redisTlsUrl = `rediss://127.0.0.1:${redisPort}`;

    redisPlain = await startRedis();
    const sentinelPort = await freePort();
    writeFileSync(
      join(dir, 'sentinel.conf'),
      `port ${sentinelPort}\nbind 127.0.0.1\ndir "${dir}"\nsentinel monitor mymaster 127.0.0.1 ${redisPlain.port} 1\n`,
    );
    sentinel = await server('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], sentinelPort);
    sentinelAddress = `127.0.0.1:${sentinelPort}`;
    sim = await startSimulator({ profile: 'fast' });
  });

  after(async () => {
    for (const p of started) await p.stop();
    await sim?.close();
    await stopChild(sentinel);
    await redisPlain?.stop();
    await stopChild(redisTls);
    await stopChild(nats);
  });

  function relay(config: string): Promise<StartedProcess> {
    return startProcess(process.execPath, [relayCli, '--config', config], {
      cwd: root,
      env: { LLC_DEV: '' },
      ready: /llc-relay listening on http:\/\/127\.0\.0\.1:(\d+)/,
    }).then((p) => (started.push(p), p));
  }

  const relayBase = {
    port: 0,
    bridge: 'none',
    'auth-jwt-secret': SECRET,
    'allowed-origins': ['https://chat.example'],
    'nats-event-storage': 'memory',
  };

  it('the relay reaches NATS over mutual TLS with an nkey and Redis over mutual TLS', async () => {
    const config = configFile('relay-tls.yaml', {
      ...relayBase,
      ...natsSettings,
      store: redisTlsUrl,
      'redis-tls-ca': certs.caCert,
      'redis-tls-cert': certs.clientCert,
      'redis-tls-key': certs.clientKey,
    });
    const node = await relay(config);
    const ready = await readyz(node.match[1]!);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual([ready.body.broker, ready.body.store], ['connected', 'connected']);
  });

  it('the relay follows the master named by Redis Sentinel', async () => {
    const config = configFile('relay-sentinel.yaml', {
      ...relayBase,
      ...natsSettings,
      // The URL's host is not used with sentinels: the master's address comes from them.
      store: 'redis://unused:1',
      'redis-sentinels': [sentinelAddress],
      'redis-sentinel-name': 'mymaster',
    });
    const node = await relay(config);
    const ready = await readyz(node.match[1]!);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.store, 'connected');
  });

  it('the bridge reaches the secured NATS from its config file', async () => {
    const config = configFile('bridge.yaml', {
      ...natsSettings,
      'backend-url': [sim!.url],
      'metrics-port': 0,
      'metrics-host': '127.0.0.1',
      'nats-event-storage': 'memory',
    });
    const bridge = await startProcess(process.execPath, [...bridgeCli, '--config', config], {
      cwd: root,
      ready: /llc-bridge ready: .*metrics on :(\d+)\/metrics/,
      timeoutMs: 60_000,
    });
    started.push(bridge);
    const ready = await readyz(bridge.match[1]!);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.broker, 'connected');
  });

  it('without the nkey the relay is refused by NATS and exits 1 saying so', async () => {
    const { 'nats-nkey-seed': _seed, ...withoutSeed } = natsSettings;
    const config = configFile('relay-anonymous.yaml', { ...relayBase, ...withoutSeed, store: 'memory' });
    const child = spawn(process.execPath, [relayCli, '--config', config], {
      env: { ...process.env, LLC_DEV: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /cannot connect to NATS at .*(authorization|auth)/i);
  });
});

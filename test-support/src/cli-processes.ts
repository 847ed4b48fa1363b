/**
 * Our three CLIs as separate processes on free ports, for multi-process tests (the chaos suite): `llc-vllm-sim`,
 * `llc-bridge` and `llc-relay` from the compiled `dist/` (run `npm run build` first), plus a NATS cluster of
 * several nats-server processes with JetStream, and HS256 tokens for the relays' production auth.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type StartedProcess } from './processes.js';
import { freePort, natsServerBinary, waitForPort } from './servers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const RELAY_CLI = join(repo, 'packages/stack/dist/cli/relay-cli.js');
export const BRIDGE_CLI = join(repo, 'packages/inference-bridge/dist/cli/bridge-cli.js');
export const SIM_CLI = join(repo, 'packages/vllm-sim/dist/cli/sim-cli.js');
const RELAY_READY = /llc-relay listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+);/;

/** The HS256 secret the relays started here verify tokens with. */
export const TEST_JWT_SECRET = 'chaos-and-cluster-test-secret-of-32-chars-or-more';

/** An HS256 JWT for `user` (sub), valid for `ttlSec`, signed with `secret` (what an identity provider issues). */
export function hs256Token(user: string, secret = TEST_JWT_SECRET, ttlSec = 3600): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user, iat: now, exp: now + ttlSec })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export interface CliProcessOptions {
  /** Extra flags, after the defaults (so they win). */
  args?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A vLLM simulator process (`fast` profile unless `args` say otherwise); `url` is its OpenAI base URL. */
export async function startSimProcess(options: CliProcessOptions = {}): Promise<StartedProcess & { url: string }> {
  const sim = await startProcess(
    process.execPath,
    [SIM_CLI, '--host', '127.0.0.1', '--port', '0', '--profile', 'fast', ...(options.args ?? [])],
    { ready: /listening on (http:\/\/\S+)/, timeoutMs: options.timeoutMs ?? 180_000, env: options.env },
  );
  return Object.assign(sim, { url: sim.match[1]! });
}

/** An `llc-bridge` process on `broker` in front of `backends` (simulator URLs). */
export async function startBridgeProcess(
  broker: string,
  backends: string[],
  options: CliProcessOptions = {},
): Promise<StartedProcess> {
  return startProcess(
    process.execPath,
    [
      BRIDGE_CLI,
      '--broker',
      broker,
      '--backend-url',
      backends.join(','),
      '--metrics-port',
      '0',
      ...(options.args ?? []),
    ],
    {
      ready: /llc-bridge ready/,
      timeoutMs: options.timeoutMs ?? 180_000,
      env: { LLC_LOG_LEVEL: 'warn', ...options.env },
    },
  );
}

export interface RelayProcess extends StartedProcess {
  readonly httpUrl: string;
  readonly wsUrl: string;
}

/**
 * One `llc-relay` process (production auth with {@link TEST_JWT_SECRET}, no in-process bridge, one process) on
 * `broker` and `store`, on a free port unless `args` give `--port`.
 */
export async function startRelayProcess(
  broker: string,
  store: string,
  options: CliProcessOptions = {},
): Promise<RelayProcess> {
  const relay = await startProcess(
    process.execPath,
    [
      RELAY_CLI,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--broker',
      broker,
      '--store',
      store,
      '--auth-jwt-secret',
      TEST_JWT_SECRET,
      '--allowed-origins',
      '*',
      '--bridge',
      'none',
      '--processes',
      '1',
      ...(options.args ?? []),
    ],
    { ready: RELAY_READY, timeoutMs: options.timeoutMs ?? 180_000, env: { LLC_LOG_LEVEL: 'warn', ...options.env } },
  );
  return Object.assign(relay, { httpUrl: relay.match[1]!, wsUrl: relay.match[2]! });
}

export interface NatsClusterNode {
  readonly url: string;
  /** The node's HTTP monitoring endpoint (`/connz`, `/jsz`, …). */
  readonly monitorUrl: string;
  readonly process: ChildProcess;
  kill(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated (what `--broker` takes). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `size` nats-server processes routed into one cluster with JetStream (each with its own store directory), on
 * free ports. Resolves once every node accepts clients and the cluster's JetStream has a meta leader.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const monitors = await Promise.all(Array.from({ length: size }, () => freePort()));
  const dirs = await Promise.all(Array.from({ length: size }, () => mkdtemp(join(tmpdir(), 'llc-nats-cluster-'))));
  const logs: string[] = Array.from({ length: size }, () => '');
  const routeList = routes.map((p) => `nats-route://127.0.0.1:${p}`).join(',');
  const nodes: NatsClusterNode[] = ports.map((port, i) => {
    const child = spawn(
      natsServerBinary(),
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-n',
        `llc-n${i + 1}`,
        '-m',
        String(monitors[i]),
        '-js',
        '-sd',
        dirs[i]!,
        '--cluster_name',
        'llc-chaos',
        '--cluster',
        `nats://127.0.0.1:${routes[i]}`,
        '--routes',
        routeList,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (d: Buffer) => void (logs[i] = (logs[i]! + d.toString()).slice(-8000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      url: `nats://127.0.0.1:${port}`,
      monitorUrl: `http://127.0.0.1:${monitors[i]}`,
      process: child,
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  });
  const stop = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          if (n.process.exitCode !== null || n.process.signalCode !== null) return resolve();
          const timer = setTimeout(() => n.process.kill('SIGKILL'), 10_000);
          n.process.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }),
    );
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    await Promise.all(ports.map((p) => waitForPort(p, '127.0.0.1', 30_000)));
    // JetStream in a cluster answers only once a meta leader is elected (printed by the leader).
    const deadline = Date.now() + 60_000;
    while (
      !logs.some((l) => /JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/.test(l))
    ) {
      if (Date.now() > deadline) throw new Error(`no JetStream meta leader after 60 s:\n${logs.join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, url: nodes.map((n) => n.url).join(','), stop };
}

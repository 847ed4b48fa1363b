/**
 * Hermetic real servers for tests: each call starts a private nats-server (with JetStream) or redis-server
 * from the machine's binaries on a free port, and `stop()` kills it and removes its data directory.
 * Tests never use the machine's shared instances on 4222/6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port the kernel says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when a TCP connect to host:port succeeds, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL-free stop: SIGTERM, then wait for exit. */
  stop(): Promise<void>;
  /** Simulates a crash. */
  kill(): Promise<void>;
  /** A clean shutdown (SIGTERM) that keeps the data directory, for an outage followed by {@link restart}. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data directory (for restart tests). */
  restart(): Promise<void>;
}

interface Spec {
  name: string;
  binary: string;
  args: (port: number, dir: string) => string[];
  url: (port: number) => string;
}

async function startServer(spec: Spec): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), `llc-${spec.name}-`));
  const port = await freePort();
  let child: ChildProcess;
  let output = '';
  const launch = async () => {
    child = spawn(spec.binary, spec.args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new Error(`${spec.binary} failed to start: ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`${spec.binary} exited with ${code}: ${output}`)));
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPort(port), failed]);
  };
  const exited = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  return {
    port,
    url: spec.url(port),
    get process() {
      return child;
    },
    async stop() {
      await exited('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => exited('SIGKILL'),
    halt: () => exited('SIGTERM'),
    restart: launch,
  };
}

export function natsServerBinary(): string {
  return process.env.LLC_NATS_SERVER ?? 'nats-server';
}

export function redisServerBinary(): string {
  return process.env.LLC_REDIS_SERVER ?? 'redis-server';
}

/**
 * A private nats-server with JetStream, storing in a temporary directory; `args` are passed on (e.g. a bench's
 * `--profile <port>`, which serves Go's CPU profiles).
 */
export function startNats(options: { args?: readonly string[] } = {}): Promise<RunningServer> {
  return startServer({
    name: 'nats',
    binary: natsServerBinary(),
    args: (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...(options.args ?? [])],
    url: (port) => `nats://127.0.0.1:${port}`,
  });
}

/**
 * A private redis-server that keeps nothing on disk, or with `appendOnly` an append-only file in its data
 * directory (as production runs it), so that its data survives {@link RunningServer.halt} and restart.
 */
export function startRedis(options: { appendOnly?: boolean } = {}): Promise<RunningServer> {
  return startServer({
    name: 'redis',
    binary: redisServerBinary(),
    args: (port, dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      options.appendOnly ? 'yes' : 'no',
      '--dir',
      dir,
    ],
    url: (port) => `redis://127.0.0.1:${port}`,
  });
}

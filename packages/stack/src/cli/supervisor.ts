/**
 * `llc-relay --processes N`: N relay processes on one port.
 *
 * A process here holds at most ~20k sockets and a uWS event loop uses one core, so a relay scales on one host by
 * processes, not threads. uWebSockets.js listens with SO_REUSEPORT, so every child binds the same port and the
 * kernel spreads new connections across them; each child has its own NATS and Redis connections, and the
 * broker makes them one relay (a user's tabs on different children see the same streams).
 *
 * The primary only supervises: it restarts a child that dies (with a growing delay when one keeps crashing),
 * forwards SIGTERM/SIGINT so children drain gracefully, and serves the children's metrics summed into one
 * Prometheus page on `--metrics-port` (prom-client's AggregatorRegistry over the cluster IPC channel).
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '@locallightchat/relay';

/** Set in children: which slot (0…N-1) a child fills, for logs. */
export const SLOT_ENV = 'LLC_PROCESS_SLOT';

export interface SupervisorOptions {
  processes: number;
  /** Port for the summed metrics of all children; undefined = none. */
  metricsPort?: number;
  metricsHost: string;
  log: Logger;
  /** Extra environment for the children (e.g. the port chosen by the primary). */
  env?: Record<string, string>;
}

/** True in a child started by {@link superviseRelays}. */
export function isSupervisedChild(): boolean {
  return cluster.isWorker && process.env[SLOT_ENV] !== undefined;
}

/** In a child: lets the primary collect this registry for the summed /metrics. */
export function shareMetricsWithSupervisor(registry: Registry): void {
  // prom-client answers the primary's requests only once an AggregatorRegistry exists in the child.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** Runs in the primary until a signal stops every child; then exits the process. */
export async function superviseRelays(options: SupervisorOptions): Promise<void> {
  const { log } = options;
  const slots = new Map<Worker, number>();
  const crashes: number[][] = Array.from({ length: options.processes }, () => []);
  let stopping = false;

  const start = (slot: number) => {
    const worker = cluster.fork({ ...options.env, [SLOT_ENV]: String(slot) });
    slots.set(worker, slot);
    worker.on('exit', (code, signal) => {
      slots.delete(worker);
      if (stopping) return;
      // A child that keeps dying waits longer each time (1 s, 2 s, 4 s … 30 s) instead of spinning the CPU.
      const now = Date.now();
      const recent = (crashes[slot] = [...crashes[slot]!.filter((t) => now - t < 60_000), now]);
      const delay = Math.min(30_000, 1000 * 2 ** (recent.length - 1));
      log.warn(
        `relay process ${slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`,
      );
      // Not unref'd: when every child is down, this timer is what keeps the supervisor alive to restart them.
      setTimeout(() => !stopping && start(slot), delay);
    });
  };
  for (let slot = 0; slot < options.processes; slot++) start(slot);

  let metricsServer: Server | undefined;
  let readyLine = `llc-relay supervisor: ${options.processes} processes`;
  if (options.metricsPort !== undefined) {
    const aggregator = new AggregatorRegistry();
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end('not found: GET /metrics');
      aggregator.clusterMetrics().then(
        (body) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(body),
        (error: unknown) =>
          res.writeHead(503).end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', reject);
      metricsServer!.listen(options.metricsPort, options.metricsHost, () => resolve());
    });
    const address = metricsServer.address();
    readyLine = `llc-relay supervisor: ${options.processes} processes; summed metrics on http://${options.metricsHost}:${typeof address === 'object' && address ? address.port : options.metricsPort}/metrics`;
  }

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: killing the relay processes`);
      for (const worker of slots.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining ${slots.size} relay processes`);
    for (const worker of slots.keys()) worker.process.kill('SIGTERM');
    const check = setInterval(() => {
      if (slots.size > 0) return;
      clearInterval(check);
      metricsServer?.close();
      process.exit(0);
    }, 100);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The ready line after the signal handlers: a SIGTERM sent as soon as it is read must drain the processes.
  console.log(readyLine);
}

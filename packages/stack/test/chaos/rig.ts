/**
 * What the chaos files set up alike: the servers (nats-server, redis-server) and CLI processes (simulator,
 * bridges, relays) of a scenario, each kept as soon as it runs — so that a start that fails half-way leaves
 * nothing behind — and all stopped after the file, failed or not (processes newest first, then the servers).
 * Also the figures the relay scenarios print and the checks they share. Not a test file (no `.chaos.ts`).
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  startBridgeProcess,
  startNats,
  startRedis,
  startRelayProcess,
  startSimProcess,
  type CliProcessOptions,
  type RelayProcess,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';
import type { FollowedAnswer } from '@locallightchat/test-support/follower';

/** How long a process is given to drain on SIGTERM before it is killed, when the rig stops it. */
const STOP_GRACE_MS = 15_000;

export class ChaosRig {
  private readonly servers: RunningServer[] = [];
  private readonly processes: StartedProcess[] = [];

  /** A nats-server with JetStream on a free port. */
  async nats(): Promise<RunningServer> {
    return this.keepServer(await startNats());
  }

  /** A redis-server on a free port (`appendOnly` as production runs it). */
  async redis(options: { appendOnly?: boolean } = {}): Promise<RunningServer> {
    return this.keepServer(await startRedis(options));
  }

  /** An `llc-vllm-sim` process with extra flags. */
  async sim(args: string[] = []): Promise<StartedProcess & { url: string }> {
    return this.keep(await startSimProcess({ args }));
  }

  /** An `llc-bridge` on `natsUrl` in front of `backends`. */
  async bridge(natsUrl: string, backends: string[], options: CliProcessOptions = {}): Promise<StartedProcess> {
    return this.keep(await startBridgeProcess(natsUrl, backends, options));
  }

  /** An `llc-relay` on `natsUrl` and `redisUrl` (production HS256 auth). */
  async relay(natsUrl: string, redisUrl: string, options: CliProcessOptions = {}): Promise<RelayProcess> {
    return this.keep(await startRelayProcess(natsUrl, redisUrl, options));
  }

  /** Keeps a process started otherwise, so that the rig stops it. */
  keep<T extends StartedProcess>(process: T): T {
    this.processes.push(process);
    return process;
  }

  /** Keeps a server started otherwise, so that the rig stops it. */
  keepServer<T extends RunningServer>(server: T): T {
    this.servers.push(server);
    return server;
  }

  /** Stops one process now (drained, killed past the grace), no longer kept. */
  async stopProcess(process: StartedProcess): Promise<void> {
    const at = this.processes.indexOf(process);
    if (at >= 0) this.processes.splice(at, 1);
    await process.stop(STOP_GRACE_MS).catch(() => process.kill());
  }

  /** Stops everything kept: processes newest first (drained, killed past the grace), then the servers. */
  async stop(): Promise<void> {
    for (const p of this.processes.splice(0).reverse()) await p.stop(STOP_GRACE_MS).catch(() => p.kill());
    await Promise.all(this.servers.splice(0).map((s) => s.stop()));
  }
}

/** A rig for one chaos file: everything it starts is stopped after the file's tests. */
export function chaosRig(): ChaosRig {
  const rig = new ChaosRig();
  after(() => rig.stop());
  return rig;
}

/** Every answer ended normally (not with `finishReason: 'error'`), with the reason of the first that did not. */
export function assertEndedNormally(answers: readonly FollowedAnswer[]): void {
  for (const a of answers) {
    assert.notEqual(
      a.end.finishReason,
      'error',
      `${a.streamId} ended normally (${a.end.errorCode} ${a.end.errorMessage})`,
    );
  }
}

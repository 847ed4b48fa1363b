/**
 * deploy/compose.yaml as processes: the same commands, the same config files (deploy/config/*.yaml) and the same
 * LLC_* environment, with containers replaced by processes and service names by loopback ports — NATS
 * (JetStream) and Redis from the machine's binaries, two llc-vllm-sim, two llc-bridge, two llc-relay, and
 * Debian's nginx as the balancer running deploy/balancer/nginx.conf.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  startNats,
  startProcess,
  startRedis,
  waitForPort,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const deploy = (path: string) => join(repo, 'deploy', path);
const relayCli = join(repo, 'packages/stack/dist/cli/relay-cli.js');
const bridgeCli = join(repo, 'packages/inference-bridge/dist/cli/bridge-cli.js');
const simCli = join(repo, 'packages/vllm-sim/dist/cli/sim-cli.js');
const RELAY_READY = /llc-relay listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+);/;
/** The balancer: Debian's nginx (`.ci/run` installs nginx-light). */
export const NGINX = process.env.LLC_NGINX ?? '/usr/sbin/nginx';

export interface ProcessClusterOptions {
  /** The HS256 secret the relays verify tokens with (compose: LLC_AUTH_JWT_SECRET). */
  secret: string;
  /** Extra flags for the simulators (after the config file, so they win), e.g. a slower `--speed`. */
  simFlags?: string[];
}

/** What the cluster needs of a process it started: a graceful stop and a kill. */
type Stoppable = Pick<StartedProcess, 'stop' | 'kill'>;

export class ProcessCluster {
  readonly relayPorts: [number, number];
  /** ws:// URL of the balancer's WebSocket route. */
  readonly wsUrl: string;
  private relays: [StartedProcess | undefined, StartedProcess | undefined] = [undefined, undefined];

  private constructor(
    private readonly options: ProcessClusterOptions,
    private readonly nats: RunningServer,
    private readonly redis: RunningServer,
    private readonly others: Stoppable[],
    relayPorts: [number, number],
    private readonly balancerPort: number,
    private readonly nginxDir: string,
  ) {
    this.relayPorts = relayPorts;
    this.wsUrl = `ws://127.0.0.1:${balancerPort}/ws`;
  }

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install nginx-light (as .ci/run does)`);
    const [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const others: Stoppable[] = [];
    const nginxDir = mkdtempSync(join(tmpdir(), 'llc-nginx-'));
    try {
      const sims = await Promise.all(
        [0, 1].map(() =>
          startProcess(
            process.execPath,
            [
              simCli,
              '--config',
              deploy('config/vllm-sim.yaml'),
              '--host',
              '127.0.0.1',
              '--port',
              '0',
              ...(options.simFlags ?? []),
            ],
            { ready: /listening on (http:\/\/\S+)/, timeoutMs: 60_000 },
          ),
        ),
      );
      others.push(...sims);
      const bridges = await Promise.all(
        [0, 1].map(() =>
          startProcess(process.execPath, [bridgeCli, '--config', deploy('config/bridge.yaml'), '--metrics-port', '0'], {
            ready: /llc-bridge ready/,
            timeoutMs: 60_000,
            env: {
              LLC_BROKER: nats.url,
              LLC_BACKEND_URL: sims.map((s) => s.match[1]!).join(','),
              LLC_LOG_LEVEL: 'warn',
            },
          }),
        ),
      );
      others.push(...bridges);
      const relayPorts: [number, number] = [await freePort(), await freePort()];
      const balancerPort = await freePort();
      const cluster = new ProcessCluster(options, nats, redis, others, relayPorts, balancerPort, nginxDir);
      await Promise.all([cluster.startRelay(0), cluster.startRelay(1)]);
      others.push(await cluster.startBalancer());
      return cluster;
    } catch (error) {
      for (const p of others) await p.kill().catch(() => undefined);
      await Promise.all([nats.stop(), redis.stop()]);
      rmSync(nginxDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts relay `i` (0 or 1) on its fixed port, as compose's relay-1/relay-2 service. */
  async startRelay(i: 0 | 1): Promise<void> {
    this.relays[i] = await startProcess(
      process.execPath,
      [relayCli, '--config', deploy('config/relay.yaml'), '--host', '127.0.0.1', '--port', String(this.relayPorts[i])],
      {
        ready: RELAY_READY,
        timeoutMs: 60_000,
        env: {
          LLC_BROKER: this.nats.url,
          LLC_STORE: this.redis.url,
          LLC_AUTH_JWT_SECRET: this.options.secret,
          LLC_ALLOWED_ORIGINS: 'http://localhost:8080',
          LLC_LOG_LEVEL: 'warn',
        },
      },
    );
  }

  /** SIGTERM relay `i` (it drains: go-away, then closes what is left) and waits for it to exit; returns the code. */
  async stopRelay(i: 0 | 1): Promise<number | null> {
    const relay = this.relays[i];
    this.relays[i] = undefined;
    return relay ? relay.stop(30_000) : null;
  }

  /** Output of relay `i` so far, for failure messages. */
  relayOutput(i: 0 | 1): string {
    return this.relays[i]?.output() ?? '';
  }

  private async startBalancer(): Promise<Stoppable> {
    // deploy/balancer/nginx.conf with compose's service names replaced by this cluster's ports.
    const conf = readFileSync(deploy('balancer/nginx.conf'), 'utf8')
      .replace('relay-1:8787', `127.0.0.1:${this.relayPorts[0]}`)
      .replace('relay-2:8787', `127.0.0.1:${this.relayPorts[1]}`)
      .replace('listen 8080;', `listen 127.0.0.1:${this.balancerPort};`);
    writeFileSync(join(this.nginxDir, 'nginx.conf'), conf);
    const pid = join(this.nginxDir, 'nginx.pid');
    const child = spawn(
      NGINX,
      ['-p', this.nginxDir, '-c', 'nginx.conf', '-e', 'stderr', '-g', `daemon off; pid ${pid};`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // nginx prints nothing when it starts well: wait for its port.
    await waitForPort(this.balancerPort, '127.0.0.1', 20_000).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start (${String(error)}): ${errors}`);
    });
    return {
      stop: async () => {
        child.kill('SIGQUIT');
        await exited;
        return child.exitCode;
      },
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all([this.stopRelay(0), this.stopRelay(1)].map((p) => p.catch(() => null)));
    for (const p of this.others.reverse()) await p.stop(15_000).catch(() => p.kill());
    await Promise.all([this.nats.stop(), this.redis.stop()]);
    rmSync(this.nginxDir, { recursive: true, force: true });
  }
}

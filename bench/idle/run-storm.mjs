#!/usr/bin/env node
/**
 * Scenario (d), reconnect storm: `llc-relay --processes P` (NATS + Redis) holds N authenticated connections;
 * one relay process is SIGKILLed; its clients reconnect at once with full jitter (up to --jitter-ms, doubling on
 * failure) — to the surviving processes and to the one the supervisor restarts. Measured: connections dropped,
 * time until every one is back, and accepts per second during the storm (each with a fresh JWT verification).
 *
 * Then the peers, same run: the `ws` + NATS peer and Socket.IO (Redis adapter, JWT middleware) each hold as many
 * connections as one relay process lost, are SIGKILLed and restarted at once on the same port (one process
 * each: neither has a supervisor or a port shared by processes), and their clients come back the same way.
 * `--peers none` leaves them out.
 *
 * Where the CPU goes during the relay's storm (from /proc, same window: the kill until every client is back):
 * the surviving relay process, the restarted one (its start-up included) and the load processes, against what
 * the machine's cores could give in that window, so a storm capped by the load generator or by the machine
 * says so. `--profile` CPU-profiles the surviving relay process over that window (bench/lib/profile-hook.mjs;
 * summarised by stage of the accept path, bench/lib/profile-summary.mjs ACCEPT_STAGES).
 *
 * The clients: `--generator ws` (default: bench/idle/load.mjs, the `ws` package) or `lean` (bench/lib/load.mjs, a
 * hand-written client that also reports failed attempts and when clients came back), see storm-load.mjs. `--relay <bin>` runs another build's llc-relay (a before/after).
 *
 *   node bench/idle/run-storm.mjs [--connections 20000] [--processes 2] [--peers ws+nats,socket.io]
 *                                 [--generator ws|lean] [--relay <bin>] [--profile] [--profile-dir /tmp]
 *                                 [--out bench/results/<date>]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startNats, startRedis } from '@locallightchat/test-support';
import { startStormLoad } from './storm-load.mjs';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  cpuSecondsOf,
  machineLine,
  sleep,
  spawnWatched,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const PROFILE = flag('profile');
const PROFILE_DIR = arg('profile-dir', tmpdir());
const N = Number(arg('connections', 20_000));
const P = Number(arg('processes', 2));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const GENERATOR = arg('generator', 'ws');
const RELAY_BIN = arg('relay', here('../../node_modules/.bin/llc-relay'));
const JITTER_MS = Number(arg('jitter-ms', 250));
const PEERS = arg('peers', 'ws+nats,socket.io')
  .split(',')
  .filter((p) => p && p !== 'none');
const PEER_SERVERS = {
  'ws+nats': { script: here('../peers/ws-nats.mjs'), protocol: 'llc' },
  'socket.io': { script: here('servers/socketio.mjs'), protocol: 'socketio' },
};

/**
 * The kernel's count of connections dropped because a listen socket's accept queue was full (machine-wide,
 * /proc/net/netstat TcpExt ListenOverflows): a dropped handshake is retried by the client's TCP after 1 s, then
 * 3 s, … — the tail of a storm whose arrivals outrun the accept queue (uSockets listens with a backlog of 512).
 */
function listenOverflows() {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(' ');
    const at = names.indexOf('ListenOverflows');
    if (at > 0) return Number(lines[i + 1].split(' ')[at]);
  }
  return NaN;
}

/** Polls the clients until every dropped one is back (or 90 s pass). */
async function waitAllBack(load) {
  let stats;
  const deadline = Date.now() + 90_000;
  for (;;) {
    await sleep(500);
    stats = await load.poll();
    if ((stats.dropped > 0 && stats.back >= stats.dropped) || Date.now() > deadline) break;
  }
  const { dropped, back, failed, backBy } = stats;
  return { dropped, back, seconds: (stats.lastBackAt - stats.firstDropAt) / 1000, failed, backBy };
}

/** One peer: `count` connections, a SIGKILL, a restart on the same port, everyone back. */
async function peerStorm(name, count, env) {
  const { script, protocol } = PEER_SERVERS[name];
  const start = (port) => spawnWatched(process.execPath, [script], { env: { ...env, BENCH_PORT: String(port) } });
  let server = start(0);
  const url = (await server.waitFor(/ready (ws:\/\/\S+)/))[1];
  const port = new URL(url).port;
  const load = await startStormLoad({
    generator: GENERATOR,
    url,
    count,
    secret: SECRET,
    jitterMs: JITTER_MS,
    protocol,
  });
  const held = load.held;
  process.stderr.write(`storm: ${held} connections held by ${name}; killing it and restarting it on port ${port}\n`);
  await sleep(1000);
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
  server = start(port);
  const result = await waitAllBack(load);
  await load.stop();
  await server.stop();
  return { server: name, held, ...result };
}

async function main() {
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const profileFile = PROFILE ? `${PROFILE_DIR}/relay-storm-${Date.now()}.cpuprofile` : undefined;
  const relay = spawnWatched(
    RELAY_BIN,
    benchRelayArgs({ natsUrl: nats.url, store: redis.url, processes: P }),
    profileFile
      ? { env: { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: profileFile } }
      : {},
  );
  const url = (await relay.waitFor(RELAY_READY))[1];
  let listening = 1;
  while (listening < P) {
    await relay.waitFor(/llc-relay listening on/);
    listening++;
  }
  const load = await startStormLoad({ generator: GENERATOR, url, count: N, secret: SECRET, jitterMs: JITTER_MS });
  const held = load.held;
  process.stderr.write(`storm: ${held} connections held over ${P} relay processes; killing one\n`);
  await sleep(1000);

  const workers = () =>
    execFileSync('pgrep', ['-P', String(relay.child.pid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
  const [victim, ...survivors] = workers();
  const cpuOf = (pids) => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  // Time spent runnable but waiting for a core (/proc/<pid>/schedstat, 2nd field, ns; main threads): on a shared
  // machine a storm can be stretched by other work without our processes using their CPU.
  const waitOf = (pids) =>
    pids.reduce((sum, pid) => sum + Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9, 0);
  if (profileFile) {
    process.kill(survivors[0], 'SIGUSR2');
    await relay.waitFor(/profile started/);
  }
  const survivorsBefore = cpuOf(survivors);
  const loadBefore = cpuOf(load.pids);
  const waitBefore = { survivors: waitOf(survivors), load: waitOf(load.pids) };
  const overflowsBefore = listenOverflows();
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  const { dropped, back, seconds, failed, backBy } = await waitAllBack(load);
  const overflows = listenOverflows() - overflowsBefore;
  // The window's CPU: read now (the reports are polled every 0.5 s, so this slightly overcounts the window).
  const windowSeconds = (Date.now() - killedAt) / 1000;
  const restarted = workers().filter((pid) => !survivors.includes(pid));
  const cpu = {
    windowSeconds,
    survivors: cpuOf(survivors) - survivorsBefore,
    restarted: cpuOf(restarted),
    load: cpuOf(load.pids) - loadBefore,
    cores: cpus().length,
    survivorsWaited: waitOf(survivors) - waitBefore.survivors,
    loadWaited: waitOf(load.pids) - waitBefore.load,
  };
  let profileSummary;
  if (profileFile) {
    process.kill(survivors[0], 'SIGUSR2');
    await relay.waitFor(/profile written/);
    const { ACCEPT_STAGES, renderSummary, summarise } = await import('../lib/profile-summary.mjs');
    profileSummary = renderSummary(summarise(JSON.parse(readFileSync(profileFile, 'utf8')), ACCEPT_STAGES), {
      top: 20,
      title: `the surviving relay process over the storm (profile: ${profileFile})`,
    });
  }
  await load.stop();
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  const peers = [];
  for (const name of PEERS) {
    peers.push(
      await peerStorm(name, Math.max(1, dropped), {
        BENCH_SECRET: SECRET,
        BENCH_NATS_URL: nats.url,
        BENCH_REDIS_URL: redis.url,
      }),
    );
  }
  await Promise.all([nats.stop(), redis.stop()]);

  const lines = [
    `# Reconnect storm — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/idle/run-storm.mjs --connections ${N} --processes ${P}${JITTER_MS !== 250 ? ` --jitter-ms ${JITTER_MS}` : ''} --generator ${GENERATOR}${arg('relay') ? ` --relay ${RELAY_BIN}` : ''}${PROFILE ? ' --profile' : ''}\``,
    machineLine(),
    `\`llc-relay --processes ${P}\` (NATS + Redis); one relay process SIGKILLed at ${new Date(killedAt).toISOString()}; clients reconnect with full jitter (≤ ${JITTER_MS} ms, doubling on failure), each verifying a JWT again.`,
    '',
    '| connections held | dropped by the kill | back | time until all back | accepts/s during the storm |',
    '|---|---|---|---|---|',
    `| ${held} | ${dropped} | ${back} | ${seconds.toFixed(2)} s | ${(back / seconds).toFixed(0)} |`,
    '',
    'The jitter window spreads the reconnects by design; the load processes share the 2 cores with the relay.',
    '',
    `CPU from the kill until every client was back (${cpu.windowSeconds.toFixed(2)} s, ${cpu.cores} cores: ${(cpu.windowSeconds * cpu.cores).toFixed(1)} CPU-s at most): ` +
      `surviving relay process(es) ${cpu.survivors.toFixed(2)} s, the restarted one ${cpu.restarted.toFixed(2)} s (start-up included), ` +
      `load processes ${cpu.load.toFixed(2)} s (${((cpu.load / back) * 1e6).toFixed(0)} µs per reconnect); ` +
      `relay ${(((cpu.survivors + cpu.restarted) / back) * 1e6).toFixed(0)} µs per accept. ` +
      `Waiting for a core (runnable, not running): surviving relay ${cpu.survivorsWaited.toFixed(2)} s, load processes ${cpu.loadWaited.toFixed(2)} s.`,
    '',
    `Accept-queue overflows during the storm (kernel, machine-wide): ${overflows}.` +
      (failed ? ` Reconnect attempts that failed: ${JSON.stringify(failed)}.` : '') +
      (backBy ? ` Clients back by time since the first drop: ${formatBuckets(backBy)}.` : ''),
    '',
    ...(profileSummary ? [profileSummary] : []),
    ...(peers.length > 0
      ? [
          `Peers, same run: each holds as many connections as the relay lost, is SIGKILLed and restarted at once on the same port (one process, no supervisor), and its clients reconnect the same way (the \`ws\` + NATS peer verifies the same JWT in a hello; Socket.IO in its middleware).`,
          '',
          '| server | connections held | dropped | back | time until all back | accepts/s during the storm | vs the relay |',
          '|---|---|---|---|---|---|---|',
          `| llc-relay (one of ${P} processes killed) | ${held} | ${dropped} | ${back} | ${seconds.toFixed(2)} s | ${(back / seconds).toFixed(0)} | 1.00× |`,
          ...peers.map(
            (p) =>
              `| ${p.server} | ${p.held} | ${p.dropped} | ${p.back} | ${p.seconds.toFixed(2)} s | ${(p.back / p.seconds).toFixed(0)} | ${(p.back / p.seconds / (back / seconds)).toFixed(2)}× |`,
          ),
          '',
        ]
      : []),
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/reconnect-storm.md`, lines.join('\n'));
  writeFileSync(
    `${OUT}/reconnect-storm.json`,
    JSON.stringify(
      {
        connections: N,
        processes: P,
        held,
        dropped,
        back,
        seconds,
        acceptsPerSec: back / seconds,
        cpu,
        overflows,
        failed,
        backBy,
        peers: peers.map((p) => ({ ...p, acceptsPerSec: p.back / p.seconds })),
      },
      null,
      2,
    ),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

/** `{ '0.0s': 812, '0.5s': 90, … }` → `≤0.5 s 812, ≤1.0 s 90, …` in time order. */
function formatBuckets(buckets) {
  return Object.entries(buckets)
    .map(([k, n]) => [parseFloat(k), n])
    .sort((a, b) => a[0] - b[0])
    .map(([t, n]) => `≤${(t + 0.5).toFixed(1)} s ${n}`)
    .join(', ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

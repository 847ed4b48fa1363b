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
 *   node bench/idle/run-storm.mjs [--connections 20000] [--processes 2] [--peers ws+nats,socket.io] [--out bench/results/<date>]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNats, startRedis } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  machineLine,
  sleep,
  spawnWatched,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const N = Number(arg('connections', 20_000));
const P = Number(arg('processes', 2));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const PER_CHILD = 9_000;
const JITTER_MS = Number(arg('jitter-ms', 250));
const PEERS = arg('peers', 'ws+nats,socket.io')
  .split(',')
  .filter((p) => p && p !== 'none');
const PEER_SERVERS = {
  'ws+nats': { script: here('../peers/ws-nats.mjs'), protocol: 'llc' },
  'socket.io': { script: here('servers/socketio.mjs'), protocol: 'socketio' },
};

/** Sums the load children's storm reports until every dropped client is back (or 90 s pass). */
async function waitAllBack(loaders) {
  let stats;
  const deadline = Date.now() + 90_000;
  for (;;) {
    await sleep(500);
    stats = await Promise.all(
      loaders.map(async (l) => {
        l.child.stdin.write('?\n');
        return JSON.parse((await l.waitFor(/\{"dropped".*\}/))[0]);
      }),
    );
    const dropped = stats.reduce((n, s) => n + s.dropped, 0);
    const back = stats.reduce((n, s) => n + s.back, 0);
    if ((dropped > 0 && back >= dropped) || Date.now() > deadline) break;
  }
  const dropped = stats.reduce((n, s) => n + s.dropped, 0);
  const back = stats.reduce((n, s) => n + s.back, 0);
  const firstDrop = Math.min(...stats.filter((s) => s.firstDropAt).map((s) => s.firstDropAt));
  const lastBack = Math.max(...stats.map((s) => s.lastBackAt));
  return { dropped, back, seconds: (lastBack - firstDrop) / 1000 };
}

/** One peer: `count` connections, a SIGKILL, a restart on the same port, everyone back. */
async function peerStorm(name, count, env) {
  const { script, protocol } = PEER_SERVERS[name];
  const start = (port) => spawnWatched(process.execPath, [script], { env: { ...env, BENCH_PORT: String(port) } });
  let server = start(0);
  const url = (await server.waitFor(/ready (ws:\/\/\S+)/))[1];
  const port = new URL(url).port;
  const loaders = [];
  for (let first = 0, slot = 0; first < count; first += PER_CHILD, slot++) {
    const config = {
      url,
      count: Math.min(PER_CHILD, count - first),
      firstAddress: slot * Math.ceil(PER_CHILD / 500),
      firstUser: first,
      secret: SECRET,
      reconnect: true,
      jitterMs: JITTER_MS,
      protocol,
    };
    loaders.push(spawnWatched(process.execPath, [here('load.mjs'), JSON.stringify(config)]));
  }
  const ramp = await Promise.all(loaders.map(async (l) => JSON.parse((await l.waitFor(/\{"open".*\}/))[0])));
  const held = ramp.reduce((n, r) => n + r.open, 0);
  process.stderr.write(`storm: ${held} connections held by ${name}; killing it and restarting it on port ${port}\n`);
  await sleep(1000);
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
  server = start(port);
  const result = await waitAllBack(loaders);
  for (const l of loaders) l.child.stdin.end();
  await server.stop();
  return { server: name, held, ...result };
}

async function main() {
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const relay = spawnWatched(
    here('../../node_modules/.bin/llc-relay'),
    benchRelayArgs({ natsUrl: nats.url, store: redis.url, processes: P }),
  );
  const url = (await relay.waitFor(RELAY_READY))[1];
  let listening = 1;
  while (listening < P) {
    await relay.waitFor(/llc-relay listening on/);
    listening++;
  }
  const loaders = [];
  for (let first = 0, slot = 0; first < N; first += PER_CHILD, slot++) {
    const count = Math.min(PER_CHILD, N - first);
    const config = {
      url,
      count,
      firstAddress: slot * Math.ceil(PER_CHILD / 500),
      firstUser: first,
      secret: SECRET,
      reconnect: true,
      jitterMs: JITTER_MS,
    };
    loaders.push(spawnWatched(process.execPath, [here('load.mjs'), JSON.stringify(config)]));
  }
  const ramp = await Promise.all(loaders.map(async (l) => JSON.parse((await l.waitFor(/\{"open".*\}/))[0])));
  const held = ramp.reduce((n, r) => n + r.open, 0);
  process.stderr.write(`storm: ${held} connections held over ${P} relay processes; killing one\n`);
  await sleep(1000);

  const victim = execFileSync('pgrep', ['-P', String(relay.child.pid)])
    .toString()
    .trim()
    .split('\n')
    .map(Number)[0];
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  const { dropped, back, seconds } = await waitAllBack(loaders);
  for (const l of loaders) l.child.stdin.end();
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
    `Command: \`node bench/idle/run-storm.mjs --connections ${N} --processes ${P}\``,
    machineLine(),
    `\`llc-relay --processes ${P}\` (NATS + Redis); one relay process SIGKILLed at ${new Date(killedAt).toISOString()}; clients reconnect with full jitter (≤ ${JITTER_MS} ms, doubling on failure), each verifying a JWT again.`,
    '',
    '| connections held | dropped by the kill | back | time until all back | accepts/s during the storm |',
    '|---|---|---|---|---|',
    `| ${held} | ${dropped} | ${back} | ${seconds.toFixed(2)} s | ${(back / seconds).toFixed(0)} |`,
    '',
    'The jitter window spreads the reconnects by design; the load processes share the 2 cores with the relay.',
    '',
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
        peers: peers.map((p) => ({ ...p, acceptsPerSec: p.back / p.seconds })),
      },
      null,
      2,
    ),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

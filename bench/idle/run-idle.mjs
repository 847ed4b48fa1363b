#!/usr/bin/env node
/**
 * Scenario (a) and the accept cost: N idle WebSocket connections held by
 *   - uws-raw   raw uWebSockets.js (the physical floor),
 *   - ws-plain  the `ws` package,
 *   - ws+nats   `ws` + nats.js, the plain-Node way to build this relay (bench/peers/ws-nats.mjs), same handshake,
 *   - socket.io Socket.IO 4 with the Redis adapter, JWT middleware and a room per user (as its docs recommend),
 *   - relay     llc-relay (embedded default), every connection authenticated with its own HS256 JWT (no verify
 *               cache hits) and completing the protocol handshake (hello → welcome),
 * measured in the same run: server RSS added per 10k connections, server CPU time per accepted connection, and
 * accepts per second. Several runs per server; medians with min–max. Ratios are against uws-raw.
 *
 * `--servers uws-raw,relay` measures only those (in that order, each run); `--baseline-relay <bin>` adds
 * `relay-baseline`, another build's `llc-relay` (e.g. a worktree of an older commit), measured in the same runs,
 * right after `relay`, for a before/after in one session; `--profile` adds one relay run (not
 * counted in the figures) whose ramp is CPU-profiled (bench/lib/profile-hook.mjs), summarised by stage of the
 * accept path (bench/lib/profile-summary.mjs `--accept`) with µs per accept from the same run's /proc CPU time.
 *
 *   node bench/idle/run-idle.mjs [--connections 10000] [--runs 3] [--servers a,b] [--profile] [--profile-dir /tmp]
 *                                [--out bench/results/<date>]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startNats, startRedis } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  cliOptions,
  cpuSecondsOf,
  rssBytesOf,
  sleep,
  startProcess,
  systemSecondsOf,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const N = Number(arg('connections', 10_000));
const RUNS = Number(arg('runs', 3));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const PER_CHILD = 9_000;
/** How long connections sit idle before the memory reading (V8 gives back ramp-up garbage when idle). */
const SETTLE_MS = Number(arg('settle-ms', 10_000));
const PROFILE = flag('profile');
const PROFILE_DIR = arg('profile-dir', tmpdir());

const SERVERS = {
  'uws-raw': { argv: [here('servers/uws-raw.mjs')], ready: /ready (ws:\/\/\S+)/ },
  'ws-plain': { argv: [here('servers/ws-plain.mjs')], ready: /ready (ws:\/\/\S+)/ },
  'ws+nats': { argv: [here('../peers/ws-nats.mjs')], ready: /ready (ws:\/\/\S+)/, auth: true, nats: true },
  'socket.io': {
    argv: [here('servers/socketio.mjs')],
    ready: /ready (ws:\/\/\S+)/,
    auth: true,
    protocol: 'socketio',
    redis: true,
  },
  relay: {
    // As `npx llc-relay` runs it: the bin's shebang sets the relay's V8 flags.
    argv: [
      here('../../node_modules/.bin/llc-relay'),
      '--port',
      '0',
      '--simulate',
      '--sim-profile',
      'fast',
      '--auth-jwt-secret',
      SECRET,
      '--allowed-origins',
      '*',
      '--processes',
      '1',
      '--heartbeat-ms',
      '300000',
    ],
    ready: /WebSocket (ws:\/\/\S+);/,
    auth: true,
  },
};
const BASELINE = arg('baseline-relay', undefined);
if (BASELINE) SERVERS['relay-baseline'] = { ...SERVERS.relay, argv: [BASELINE, ...SERVERS.relay.argv.slice(1)] };
const ONLY = arg('servers', Object.keys(SERVERS).join(',')).split(',');
// The baseline runs next to the relay (alternating old and new builds within each run).
if (BASELINE && !ONLY.includes('relay-baseline')) ONLY.splice(ONLY.indexOf('relay') + 1, 0, 'relay-baseline');
for (const name of ONLY) if (!SERVERS[name]) throw new Error(`unknown server ${name}: ${Object.keys(SERVERS)}`);

/** Starts a server or load process: our bin as npx runs it (its shebang sets V8 flags), scripts with this Node. */
function startChild(argv, ready, env = {}) {
  const [command, ...rest] = /llc-relay(\.js)?$/.test(argv[0]) ? argv : [process.execPath, ...argv];
  return startProcess(command, rest, ready, { env });
}

/** RSS bytes and CPU seconds (user + system) of a process. */
function sample(pid) {
  return { rss: rssBytesOf(pid), cpu: cpuSecondsOf(pid), sys: systemSecondsOf(pid) };
}

/** One server's run; with `profile` (a .cpuprofile path) its ramp is CPU-profiled. */
async function measure(name, spec, profile) {
  const server = await startChild(spec.argv, spec.ready, {
    BENCH_SECRET: SECRET,
    BENCH_REDIS_URL: redisUrl,
    BENCH_NATS_URL: natsUrl,
    ...(profile ? { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: profile } : {}),
  });
  const url = server.match[1];
  await sleep(1500);
  if (profile) {
    server.child.kill('SIGUSR2');
    await server.waitFor(/profile started/);
  }
  const before = sample(server.child.pid);
  const loaders = [];
  for (let start = 0, slot = 0; start < N; start += PER_CHILD, slot++) {
    const count = Math.min(PER_CHILD, N - start);
    const config = {
      url,
      count,
      firstAddress: slot * Math.ceil(PER_CHILD / 500),
      firstUser: start,
      secret: spec.auth ? SECRET : undefined,
      protocol: spec.protocol,
    };
    loaders.push(startChild([here('load.mjs'), JSON.stringify(config)], /(\{.*\})/));
  }
  const results = await Promise.all(loaders);
  const reports = results.map((r) => JSON.parse(r.match[1]));
  const opened = reports.reduce((n, r) => n + r.open, 0);
  const seconds = Math.max(...reports.map((r) => r.seconds));
  const ramp = sample(server.child.pid);
  if (profile) {
    server.child.kill('SIGUSR2');
    await server.waitFor(/profile written/);
  }
  await sleep(SETTLE_MS);
  const after = sample(server.child.pid);
  for (const r of results) r.child.stdin.end();
  server.child.kill('SIGKILL');
  await sleep(500);
  return {
    name,
    opened,
    failed: reports.reduce((n, r) => n + r.failed, 0),
    mbPer10k: (((after.rss - before.rss) / opened) * 10_000) / 2 ** 20,
    usPerAccept: ((ramp.cpu - before.cpu) / opened) * 1e6,
    // The kernel's part (accept, the TCP handshake, socket reads and writes), which a JS profile does not see.
    sysUsPerAccept: ((ramp.sys - before.sys) / opened) * 1e6,
    acceptsPerSec: opened / seconds,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 1) => x.toFixed(d);

let redisUrl;
let natsUrl;

async function main() {
  process.stderr.write(`idle connections: ${N} per server, ${RUNS} run(s) each\n`);
  const [redis, nats] = await Promise.all([startRedis(), startNats()]);
  redisUrl = redis.url;
  natsUrl = nats.url;
  const runs = {};
  for (let run = 0; run < RUNS; run++) {
    // Odd runs measure the baseline before the relay: neither build always runs first.
    const swap = run % 2 && ONLY.includes('relay') && ONLY.includes('relay-baseline');
    const order = swap
      ? ONLY.map((n) => (n === 'relay' ? 'relay-baseline' : n === 'relay-baseline' ? 'relay' : n))
      : ONLY;
    for (const name of order) {
      const spec = SERVERS[name];
      process.stderr.write(`  run ${run + 1}/${RUNS} ${name} (load ${loadavg()[0].toFixed(2)}) … `);
      const r = await measure(name, spec);
      process.stderr.write(
        `${r.opened} open, ${fmt(r.mbPer10k)} MB/10k, ${fmt(r.usPerAccept)} µs CPU/accept (${fmt(r.sysUsPerAccept)} kernel)\n`,
      );
      (runs[name] ??= []).push(r);
    }
  }
  let profileSummary;
  if (PROFILE) {
    const file = `${PROFILE_DIR}/relay-accept-${Date.now()}.cpuprofile`;
    process.stderr.write(`  profile run (not counted above) … `);
    const r = await measure('relay', SERVERS.relay, file);
    process.stderr.write(`${fmt(r.usPerAccept)} µs CPU/accept while profiled\n`);
    const { ACCEPT_STAGES, renderSummary, summarise } = await import('../lib/profile-summary.mjs');
    profileSummary = renderSummary(summarise(JSON.parse(readFileSync(file, 'utf8')), ACCEPT_STAGES), {
      cpuUsPerFrame: r.usPerAccept,
      unit: 'accept',
      top: 20,
      // The sampler sees JS and native frames, not the kernel: its share of syscalls lands on their callers.
      title: `relay, ${r.opened} accepts with HS256 JWT + hello → welcome, ${fmt(r.sysUsPerAccept)} µs of each in the kernel (profile: ${file})`,
    });
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => {
      const pick = (k) => ({
        median: median(rs.map((r) => r[k])),
        min: Math.min(...rs.map((r) => r[k])),
        max: Math.max(...rs.map((r) => r[k])),
      });
      return [
        name,
        {
          opened: Math.min(...rs.map((r) => r.opened)),
          failed: Math.max(...rs.map((r) => r.failed)),
          mbPer10k: pick('mbPer10k'),
          usPerAccept: pick('usPerAccept'),
          sysUsPerAccept: pick('sysUsPerAccept'),
          acceptsPerSec: pick('acceptsPerSec'),
        },
      ];
    }),
  );
  await Promise.all([redis.stop(), nats.stop()]);
  const floor = summary['uws-raw'] ?? Object.values(summary)[0];
  // Ratios run by run (each server against the floor measured minutes apart in the same run): a loaded machine
  // moves both, so these vary less than the ratio of medians.
  const floorRuns = runs['uws-raw'] ?? Object.values(runs)[0];
  for (const [name, rs] of Object.entries(runs)) {
    const ratios = rs.map((r, i) => r.usPerAccept / floorRuns[i].usPerAccept);
    summary[name].perRunRatio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  }
  const row = (name, s) =>
    `| ${name} | ${s.opened} | ${fmt(s.mbPer10k.median)} (${fmt(s.mbPer10k.min)}–${fmt(s.mbPer10k.max)}) | ${fmt(s.mbPer10k.median / floor.mbPer10k.median, 2)}× | ` +
    `${fmt(s.usPerAccept.median)} (${fmt(s.usPerAccept.min)}–${fmt(s.usPerAccept.max)}) | ${fmt(s.sysUsPerAccept.median)} | ${fmt(s.usPerAccept.median / floor.usPerAccept.median, 2)}× | ${fmt(s.perRunRatio.median, 2)}× (${fmt(s.perRunRatio.min, 2)}–${fmt(s.perRunRatio.max, 2)}) | ${fmt(s.acceptsPerSec.median, 0)} |`;
  const report = [
    `# Idle connections and accept cost — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/idle/run-idle.mjs --connections ${N} --runs ${RUNS}${arg('servers') ? ` --servers ${ONLY}` : ''}${BASELINE ? ` --baseline-relay ${BASELINE}` : ''}${PROFILE ? ' --profile' : ''}\``,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}.`,
    'Shared machine: other work may run at the same time, hence several runs and ratios within one run.',
    '',
    `Server RSS added per 10k idle connections (after − before, ${SETTLE_MS / 1000} s after the ramp), server CPU time per accepted`,
    'connection during the ramp, and accepts per second seen by the load generator (200 connects in flight). Every',
    'connection does one round trip: the relay verifies a distinct HS256 JWT per connection and answers hello with',
    'welcome (so does the ws+nats peer); Socket.IO verifies the same JWT in its connect middleware and joins a room per user; the plain peers',
    'echo a message of the same size. The relay runs as `llc-relay` (its shebang sets',
    '`--max-semi-space-size=1`); the peers run with Node defaults.',
    '',
    '| server | connections | MB per 10k, median (min–max) | vs raw uWS | µs CPU per accept, median (min–max) | of which kernel | vs raw uWS | vs raw uWS run by run, median (min–max) | accepts/s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(summary).map(([name, s]) => row(name, s)),
    '',
    ...(profileSummary ? ['## Where the relay spends its CPU per accept', '', profileSummary] : []),
  ].join('\n');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/idle-connections.md`, report);
  writeFileSync(`${OUT}/idle-connections.json`, JSON.stringify({ connections: N, runs, summary }, null, 2));
  process.stdout.write(report + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

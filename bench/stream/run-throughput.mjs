#!/usr/bin/env node
/**
 * Send throughput per core: CPU time a server spends per token frame delivered, relay vs a raw uWebSockets.js
 * send loop, in the same run.
 *
 *   uws-raw  writes a pre-encoded 72-byte frame to each of C sockets per round (the physical floor);
 *   relay    `llc-relay --broker nats://…`: a publisher process (this one, as a bridge would) publishes one token
 *            batch per stream per round to NATS; the relay receives, decodes, applies the seq rule per socket,
 *            queues with first-token priority and writes — one conversation and one stream per socket.
 *
 * The figure is frames per CPU-second of the server process (from /proc), i.e. frames/s per core; readers run in
 * another process. Several runs; medians with min–max.
 *
 *   ws+nats  the plain-Node peer (bench/peers/ws-nats.mjs) fed the same way; nats-sub: a bare nats.js subscriber
 *            holding the same subscriptions and only counting (the NATS client's own floor, no sockets);
 *   uws+nats the relay's uWS build and nats.js forwarding each message's bytes, corked per socket, and nothing
 *            else (bench/peers/uws-nats.mjs): the floor of any server on this path, NATS in and uWS out.
 *
 * `--profile` adds one relay run (not counted in the figures) whose measured window is CPU-profiled; the
 * report gets the self time per stage of the hot path (bench/lib/profile-summary.mjs).
 *
 *   node bench/stream/run-throughput.mjs [--sockets 2000] [--rounds 100] [--runs 3] [--profile] [--profile-dir /tmp]
 *                                        [--out bench/results/<date>]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  cpuSecondsOf,
  machineLine,
  sleep,
  startProcess,
  systemSecondsOf,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const C = Number(arg('sockets', 2000));
const R = Number(arg('rounds', 100));
const RUNS = Number(arg('runs', 3));
const PROFILE = flag('profile');
/** Another build's llc-relay (e.g. main's, before a change), measured as one more server in the same run. */
const BASELINE = arg('baseline-relay', undefined);
const PROFILE_DIR = arg('profile-dir', tmpdir());
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;

async function reader(url, secret, prefix = 'conv') {
  const r = await startProcess(
    process.execPath,
    [here('reader.mjs'), JSON.stringify({ url, count: C, first: 0, secret, prefix })],
    /\{"ready":\d+\}/,
  );
  return {
    ...r,
    async received() {
      r.child.stdin.write('?\n');
      return JSON.parse((await r.waitFor(/\{"received":\d+\}/))[0]).received;
    },
  };
}

/** Waits until the reader holds `expected` frames (or its count stops growing for 2 s). */
async function drain(read, expected) {
  let last = -1;
  let still = 0;
  for (;;) {
    const n = await read.received();
    if (n >= expected) return n;
    still = n === last ? still + 1 : 0;
    if (still >= 10) return n;
    last = n;
    await sleep(200);
  }
}

async function rawRun() {
  const server = await startProcess(process.execPath, [here('uws-sender.mjs')], /ready (ws:\/\/\S+)/);
  const read = await reader(server.match[1]);
  await sleep(500);
  const cpu0 = cpuSecondsOf(server.child.pid);
  const sys0 = systemSecondsOf(server.child.pid);
  const t0 = performance.now();
  server.child.stdin.write(`go ${R}\n`);
  const frames = await drain(read, C * R);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(server.child.pid) - cpu0;
  const sys = systemSecondsOf(server.child.pid) - sys0;
  read.child.stdin.end();
  server.child.kill('SIGKILL');
  return { frames, expected: C * R, cpu, sys, seconds };
}

/**
 * One server fed through NATS by this process acting as the bridge: `relay` (llc-relay), `ws+nats` (the plain
 * Node peer), `uws+nats` (the floor of this path) or `nats-sub` (a bare nats.js subscriber: the NATS client's
 * floor, no sockets). With `profile`, the relay's measured window is CPU-profiled (bench/lib/profile-hook.mjs)
 * into that file.
 */
async function natsRun(nats, kind, profile) {
  // Fresh ids per run: NATS keeps the previous runs' events, and a stream's retained batches are not re-sent.
  const nonce = Math.random().toString(36).slice(2, 8);
  const conv = (i) => `c${nonce}${i}`;
  const stream = (i) => `s${nonce}${i}`;
  const prefix = conv(0).slice(0, -1);
  let server;
  let read;
  if (kind === 'relay' || kind === 'baseline') {
    const env = profile
      ? { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: profile }
      : {};
    server = await startProcess(
      kind === 'baseline' ? BASELINE : here('../../node_modules/.bin/llc-relay'),
      benchRelayArgs({ natsUrl: nats.url }),
      RELAY_READY,
      { env },
    );
    read = await reader(server.match[1], SECRET, prefix);
  } else if (kind === 'ws+nats' || kind === 'uws+nats') {
    const file = here(`../peers/${kind.replace('+', '-')}.mjs`);
    server = await startProcess(process.execPath, [file], /ready (ws:\/\/\S+)/, {
      env: { BENCH_SECRET: SECRET, BENCH_NATS_URL: nats.url },
    });
    read = await reader(server.match[1], SECRET, prefix);
  } else {
    server = await startProcess(
      process.execPath,
      [here('../peers/nats-sub.mjs'), JSON.stringify({ url: nats.url, count: C, prefix })],
      /\{"ready":\d+\}/,
    );
    read = { child: server.child, received: async () => received(server) };
  }
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  // The servers' NATS subscriptions reach the server shortly after `subscribed` (live events published before
  // that would only be found by a resume, which this benchmark does not do).
  await sleep(1000);
  for (let i = 0; i < C; i++) {
    await broker.publish(conv(i), {
      type: 'stream-start',
      streamId: stream(i),
      conversationId: conv(i),
      replyTo: `m${i}`,
      model: 'bench',
      createdAt: Date.now(),
    });
  }
  await broker.flush();
  await drain(read, C);
  if (profile) {
    server.child.kill('SIGUSR2');
    await server.waitFor(/profile started/);
  }
  const cpu0 = cpuSecondsOf(server.child.pid);
  const sys0 = systemSecondsOf(server.child.pid);
  const t0 = performance.now();
  const text = ' token';
  for (let r = 1; r <= R; r++) {
    for (let i = 0; i < C; i++) void broker.publish(conv(i), { type: 'token', streamId: stream(i), seq: r, text });
    await broker.flush();
  }
  const frames = (await drain(read, C * (R + 1))) - C;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(server.child.pid) - cpu0;
  const sys = systemSecondsOf(server.child.pid) - sys0;
  if (profile) {
    server.child.kill('SIGUSR2');
    await server.waitFor(/profile written/);
  }
  let coalesced = 0;
  if (kind === 'relay' || kind === 'baseline') {
    const metricsUrl = server.match[1].replace('ws://', 'http://').replace(/\/ws$/, '/metrics');
    const metrics = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${SECRET}` } })).text();
    coalesced = Number(/^llc_relay_coalesced_frames_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  }
  read.child.stdin.end();
  await broker.close();
  server.child.kill('SIGKILL');
  await new Promise((r) => (server.child.exitCode !== null ? r() : server.child.once('exit', r)));
  return { frames, expected: C * R, cpu, sys, seconds, coalesced };
}

async function received(server) {
  server.child.stdin.write('?\n');
  return JSON.parse((await server.waitFor(/\{"received":\d+[^}]*\}/))[0]).received;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const SERVERS = [
  { key: 'raw', label: 'uws-raw send loop (floor)' },
  { key: 'relay', label: 'llc-relay via NATS' },
  { key: 'wsNats', label: '`ws` + NATS peer' },
  { key: 'uwsNats', label: 'uWS + NATS forwarder (floor of the NATS path)' },
  { key: 'natsSub', label: 'bare nats.js subscriber (no sockets)' },
  ...(BASELINE ? [{ key: 'baseline', label: `llc-relay baseline build (${BASELINE})` }] : []),
];
const KIND = { relay: 'relay', wsNats: 'ws+nats', uwsNats: 'uws+nats', natsSub: 'nats-sub', baseline: 'baseline' };

async function main() {
  const nats = await startNats();
  const results = Object.fromEntries(SERVERS.map(({ key }) => [key, []]));
  const k = (x) => `${(x / 1000).toFixed(0)}k`;
  const perCore = (r) => r.frames / r.cpu;
  // Interleaved, so that load from other work on the machine falls on every server alike.
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`run ${run}/${RUNS}:`);
    for (const { key } of SERVERS) {
      const r = key === 'raw' ? await rawRun() : await natsRun(nats, KIND[key]);
      results[key].push(r);
      process.stderr.write(` ${key} ${k(perCore(r))}/CPU-s`);
    }
    process.stderr.write('\n');
  }
  let profileSummary;
  if (PROFILE) {
    const file = `${PROFILE_DIR}/relay-throughput-${Date.now()}.cpuprofile`;
    process.stderr.write(`profile run (not counted above) … `);
    const r = await natsRun(nats, 'relay', file);
    process.stderr.write(`${k(perCore(r))}/CPU-s; ${file}\n`);
    const { renderSummary, summarise } = await import('../lib/profile-summary.mjs');
    profileSummary = renderSummary(summarise(JSON.parse(readFileSync(file, 'utf8'))), {
      cpuUsPerFrame: (r.cpu * 1e6) / r.frames,
      title: `relay, ${C} sockets × ${R} frames, NATS path (profile: ${file})`,
    });
  }
  await nats.stop();
  const summary = (rs) => ({
    median: median(rs.map(perCore)),
    min: Math.min(...rs.map(perCore)),
    max: Math.max(...rs.map(perCore)),
    usPerFrame: median(rs.map((r) => (r.cpu * 1e6) / r.frames)),
    sysUsPerFrame: median(rs.map((r) => (r.sys * 1e6) / r.frames)),
  });
  const s = Object.fromEntries(SERVERS.map(({ key }) => [key, summary(results[key])]));
  const lines = [
    `# Send throughput per core — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-throughput.mjs --sockets ${C} --rounds ${R} --runs ${RUNS}${PROFILE ? ' --profile' : ''}${BASELINE ? ` --baseline-relay ${BASELINE}` : ''}\``,
    machineLine(),
    `${C} sockets × ${R} token frames each; frames delivered per CPU-second of the server process (= frames/s per core), servers interleaved per run.`,
    'The relay path: NATS core subscription → frame header → seq rule → ring → priority send queue → corked write. The `ws` + NATS peer forwards the bytes of each NATS message to its sockets (no seq rule, no ring); the uWS + NATS forwarder does the same on the relay’s uWS build, corked per socket (what NATS in and uWS out cost, with nothing else); the bare nats.js subscriber only counts messages (the NATS client floor: no sockets).',
    '',
    '| server | frames/s per core, median (min–max) | CPU µs per frame (of which kernel) | vs raw uWS | relay vs it | frames delivered / expected (last run) | relay coalesced |',
    '|---|---|---|---|---|---|---|',
    ...SERVERS.map(({ key, label }) => {
      const x = s[key];
      const last = results[key].at(-1);
      return `| ${label} | ${k(x.median)} (${k(x.min)}–${k(x.max)}) | ${x.usPerFrame.toFixed(2)} (${x.sysUsPerFrame.toFixed(2)}) | ${((x.median / s.raw.median) * 100).toFixed(0)} % | ${key === 'relay' ? '—' : `${(s.relay.median / x.median).toFixed(2)}×`} | ${last.frames} / ${last.expected} | ${key === 'relay' || key === 'baseline' ? last.coalesced : '—'} |`;
    }),
    '',
    ...(profileSummary ? ['## Where the relay spends its CPU', '', profileSummary] : []),
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/send-throughput.md`, lines.join('\n'));
  writeFileSync(
    `${OUT}/send-throughput.json`,
    JSON.stringify(
      {
        sockets: C,
        rounds: R,
        raw: s.raw,
        relay: s.relay,
        wsNats: s.wsNats,
        uwsNats: s.uwsNats,
        natsSub: s.natsSub,
        results,
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

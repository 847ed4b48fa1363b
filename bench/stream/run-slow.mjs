#!/usr/bin/env node
/**
 * Scenario (e), slow consumers: F fast and K slow sockets (the slow ones stop reading for a few seconds) each
 * follow a stream of 8 KB batches. The relay must keep its memory bounded (per-socket queues up to
 * --send-hard-limit, then a resumable close) and lose nothing: every reader ends with the complete transcript —
 * the slow ones by reconnecting and resuming from their last seq, as the client library does.
 *
 * The same load then runs against the `ws` + NATS peer (bench/peers/ws-nats.mjs: no send bound, no resume; it
 * keeps whatever a slow socket does not read in `ws`'s buffer), so the relay's bounded memory is a same-run
 * comparison. `--servers relay` runs the relay alone.
 *
 *   node bench/stream/run-slow.mjs [--fast 20] [--slow 10] [--rounds 600] [--hard-limit 2097152] [--servers relay,ws+nats]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  machineLine,
  rssBytesOf,
  sleep,
  spawnWatched,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const FAST = Number(arg('fast', 20));
const SLOW = Number(arg('slow', 10));
const ROUNDS = Number(arg('rounds', 600));
const HARD = Number(arg('hard-limit', 2 * 1024 * 1024));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const SERVERS = arg('servers', 'relay,ws+nats').split(',');

/** One server under the load: the readers' reports, its RSS before and at the peak, and the relay's counters. */
async function runOnce(server) {
  const nats = await startNats();
  const relay =
    server === 'relay'
      ? spawnWatched(
          here('../../node_modules/.bin/llc-relay'),
          benchRelayArgs({ natsUrl: nats.url, extra: ['--send-hard-limit', String(HARD)] }),
        )
      : spawnWatched(process.execPath, [here('../peers/ws-nats.mjs')], {
          env: { BENCH_SECRET: SECRET, BENCH_NATS_URL: nats.url },
        });
  const url = (await relay.waitFor(server === 'relay' ? RELAY_READY : /ready (ws:\/\/\S+)/))[1];
  const metricsUrl = url.replace('ws://', 'http://').replace(/\/ws$/, '/metrics');
  const prefix = `x${Math.random().toString(36).slice(2, 7)}`;
  const fast = spawnWatched(process.execPath, [
    here('transcript-reader.mjs'),
    JSON.stringify({ url, count: FAST, secret: SECRET, prefix, first: 0 }),
  ]);
  const slow = spawnWatched(process.execPath, [
    here('transcript-reader.mjs'),
    JSON.stringify({ url, count: SLOW, secret: SECRET, prefix, first: FAST, pauseMs: 6000 }),
  ]);
  await Promise.all([fast.waitFor(/\{"ready".*\}/), slow.waitFor(/\{"ready".*\}/)]);
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  await sleep(1000);
  const baseline = rssBytesOf(relay.child.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytesOf(relay.child.pid))), 100);

  const total = FAST + SLOW;
  const conv = (i) => `${prefix}c${i}`;
  const stream = (i) => `${prefix}s${i}`;
  for (let i = 0; i < total; i++)
    await broker.publish(conv(i), {
      type: 'stream-start',
      streamId: stream(i),
      conversationId: conv(i),
      replyTo: 'm',
      model: 'bench',
      createdAt: Date.now(),
    });
  const text = 'y'.repeat(8 * 1024);
  for (let r = 1; r <= ROUNDS; r++) {
    for (let i = 0; i < total; i++) void broker.publish(conv(i), { type: 'token', streamId: stream(i), seq: r, text });
    await broker.flush();
    await sleep(5);
  }
  for (let i = 0; i < total; i++)
    await broker.publish(conv(i), {
      type: 'stream-end',
      streamId: stream(i),
      conversationId: conv(i),
      lastSeq: ROUNDS,
      finishReason: 'stop',
    });

  const report = async (r) => {
    r.child.stdin.write('?\n');
    return JSON.parse((await r.waitFor(/\{"complete".*\}/))[0]);
  };
  let f;
  let s;
  const deadline = Date.now() + 60_000;
  do {
    await sleep(500);
    [f, s] = await Promise.all([report(fast), report(slow)]);
  } while ((f.complete < FAST || s.complete < SLOW) && Date.now() < deadline);
  clearInterval(sampler);
  const metrics =
    server === 'relay'
      ? await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${SECRET}` } })).text()
      : '';
  const metric = (name) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  fast.child.stdin.end();
  slow.child.stdin.end();
  await broker.close();
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  await nats.stop();
  return {
    server,
    f,
    s,
    baseline,
    peak,
    closes: metric('llc_relay_slow_consumer_closes_total'),
    backpressure: metric('llc_relay_backpressure_events_total'),
    coalesced: metric('llc_relay_coalesced_frames_total'),
  };
}

async function main() {
  const runs = [];
  for (const server of SERVERS) {
    process.stderr.write(`slow consumers: ${server} … `);
    runs.push(await runOnce(server));
    process.stderr.write('done\n');
  }
  const relayRun = runs.find((r) => r.server === 'relay') ?? runs[0];
  const { f, s, baseline, peak } = relayRun;
  const metric = (name) =>
    ({
      llc_relay_slow_consumer_closes_total: relayRun.closes,
      llc_relay_backpressure_events_total: relayRun.backpressure,
      llc_relay_coalesced_frames_total: relayRun.coalesced,
    })[name];
  const peers = runs.filter((r) => r !== relayRun);
  const total = FAST + SLOW;

  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const lines = [
    `# Slow consumers — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-slow.mjs --fast ${FAST} --slow ${SLOW} --rounds ${ROUNDS} --hard-limit ${HARD}\``,
    machineLine(),
    `llc-relay via NATS, \`--send-hard-limit ${HARD}\`. Each socket follows one stream of ${ROUNDS} batches × 8 KB (${mb(ROUNDS * 8192)} MB); slow sockets stop reading for 6 s.`,
    ...(peers.length > 0
      ? [`Same load, same run: ${peers.map((p) => `the \`${p.server}\` peer`).join(', ')} (table below).`]
      : []),
    '',
    '| readers | complete transcripts | closed as slow consumers (4008) | resumed | errors |',
    '|---|---|---|---|---|',
    `| fast | ${f.complete} / ${FAST} | ${f.closedSlow} | ${f.resumed} | ${f.errors.length ? f.errors.join('; ') : 'none'} |`,
    `| slow | ${s.complete} / ${SLOW} | ${s.closedSlow} | ${s.resumed} | ${s.errors.length ? s.errors.join('; ') : 'none'} |`,
    '',
    `Relay: RSS ${mb(baseline)} MB before, ${mb(peak)} MB at the peak; \`llc_relay_slow_consumer_closes_total\` ${metric('llc_relay_slow_consumer_closes_total')}, ` +
      `\`llc_relay_backpressure_events_total\` ${metric('llc_relay_backpressure_events_total')}, \`llc_relay_coalesced_frames_total\` ${metric('llc_relay_coalesced_frames_total')}.`,
    `The peak includes the relay's resume ring for these streams (${total} × ${mb(ROUNDS * 8192)} MB of batches held for resumes), which is`,
    `what a slow socket resumes from; per-socket queues are bounded by the hard limit (${mb(HARD)} MB).`,
    '',
    ...(peers.length > 0
      ? [
          '| server | complete transcripts (fast / slow) | closed as slow (4008) | RSS before → peak | peak vs the relay |',
          '|---|---|---|---|---|',
          ...runs.map(
            (r) =>
              `| ${r.server} | ${r.f.complete}/${FAST} · ${r.s.complete}/${SLOW} | ${r.f.closedSlow + r.s.closedSlow} | ${mb(r.baseline)} → ${mb(r.peak)} MB | ${(r.peak / peak).toFixed(2)}× |`,
          ),
          '',
          'The `ws` + NATS peer has no send bound: what a paused socket does not read stays in its process until the socket reads again.',
          '',
        ]
      : []),
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/slow-consumers.md`, lines.join('\n'));
  writeFileSync(
    `${OUT}/slow-consumers.json`,
    JSON.stringify(
      {
        fast: f,
        slow: s,
        fastCount: FAST,
        slowCount: SLOW,
        baseline,
        peak,
        hardLimit: HARD,
        closes: metric('llc_relay_slow_consumer_closes_total'),
        peers: Object.fromEntries(
          peers.map((p) => [p.server, { fast: p.f, slow: p.s, baseline: p.baseline, peak: p.peak }]),
        ),
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

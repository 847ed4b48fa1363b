#!/usr/bin/env node
/**
 * Scenario (e), slow consumers: F fast and K slow sockets (the slow ones stop reading for a few seconds) each
 * follow a stream of 8 KB batches. The relay must keep its memory bounded (per-socket queues up to
 * --send-hard-limit, then a resumable close) and lose nothing: every reader ends with the complete transcript —
 * the slow ones by reconnecting and resuming from their last seq, as the client library does.
 *
 *   node bench/stream/run-slow.mjs [--fast 20] [--slow 10] [--rounds 600] [--hard-limit 2097152]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const FAST = Number(arg('fast', 20));
const SLOW = Number(arg('slow', 10));
const ROUNDS = Number(arg('rounds', 600));
const HARD = Number(arg('hard-limit', 2 * 1024 * 1024));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = 'bench-secret-bench-secret-bench-secret-0001';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

function start(command, argv) {
  const child = spawn(command, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LLC_LOG_LEVEL: 'error' },
  });
  let out = '';
  const listeners = new Set();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr.on('data', (d) => (out += d));
  const waitFor = (re) =>
    new Promise((resolve) => {
      const check = () => {
        const m = re.exec(out);
        if (!m) return;
        listeners.delete(check);
        out = out.slice(m.index + m[0].length);
        resolve(m);
      };
      listeners.add(check);
      check();
    });
  return { child, waitFor };
}

async function main() {
  const nats = await startNats();
  const relay = start(here('../../node_modules/.bin/llc-relay'), [
    '--port',
    '0',
    '--processes',
    '1',
    '--broker',
    nats.url,
    '--store',
    'memory',
    '--bridge',
    'none',
    '--auth-jwt-secret',
    SECRET,
    '--allowed-origins',
    '*',
    // Production mode serves /metrics on the client port only with this bearer token.
    '--metrics-token',
    SECRET,
    '--token-budget',
    '0',
    '--send-hard-limit',
    String(HARD),
    '--heartbeat-ms',
    '300000',
  ]);
  const url = (await relay.waitFor(/WebSocket (ws:\/\/\S+);/))[1];
  const metricsUrl = url.replace('ws://', 'http://').replace(/\/ws$/, '/metrics');
  const prefix = `x${Math.random().toString(36).slice(2, 7)}`;
  const fast = start(process.execPath, [
    here('transcript-reader.mjs'),
    JSON.stringify({ url, count: FAST, secret: SECRET, prefix, first: 0 }),
  ]);
  const slow = start(process.execPath, [
    here('transcript-reader.mjs'),
    JSON.stringify({ url, count: SLOW, secret: SECRET, prefix, first: FAST, pauseMs: 6000 }),
  ]);
  await Promise.all([fast.waitFor(/\{"ready".*\}/), slow.waitFor(/\{"ready".*\}/)]);
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  await sleep(1000);
  const baseline = rssOf(relay.child.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(relay.child.pid))), 100);

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
  const metrics = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${SECRET}` } })).text();
  const metric = (name) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  fast.child.stdin.end();
  slow.child.stdin.end();
  await broker.close();
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  await nats.stop();

  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const lines = [
    `# Slow consumers — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-slow.mjs --fast ${FAST} --slow ${SLOW} --rounds ${ROUNDS} --hard-limit ${HARD}\``,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}.`,
    `llc-relay via NATS, \`--send-hard-limit ${HARD}\`. Each socket follows one stream of ${ROUNDS} batches × 8 KB (${mb(ROUNDS * 8192)} MB); slow sockets stop reading for 6 s.`,
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

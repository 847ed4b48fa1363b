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
 *   node bench/stream/run-throughput.mjs [--sockets 2000] [--rounds 100] [--runs 3] [--out bench/results/<date>]
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
const C = Number(arg('sockets', 2000));
const R = Number(arg('rounds', 100));
const RUNS = Number(arg('runs', 3));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = 'bench-secret-bench-secret-bench-secret-0001';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuOf = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
};

function start(command, argv, ready) {
  return new Promise((resolve, reject) => {
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
      new Promise((res) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            listeners.delete(check);
            out = out.slice(m.index + m[0].length);
            res(m);
          }
        };
        listeners.add(check);
        check();
      });
    child.once('exit', (code) => reject(new Error(`${argv[0] ?? command} exited (${code}): ${out.slice(-1000)}`)));
    waitFor(ready).then((match) => resolve({ child, match, waitFor }));
  });
}

async function reader(url, secret, prefix = 'conv') {
  const r = await start(
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
  const server = await start(process.execPath, [here('uws-sender.mjs')], /ready (ws:\/\/\S+)/);
  const read = await reader(server.match[1]);
  await sleep(500);
  const cpu0 = cpuOf(server.child.pid);
  const t0 = performance.now();
  server.child.stdin.write(`go ${R}\n`);
  const frames = await drain(read, C * R);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuOf(server.child.pid) - cpu0;
  read.child.stdin.end();
  server.child.kill('SIGKILL');
  return { frames, expected: C * R, cpu, seconds };
}

async function relayRun(nats) {
  const relay = await start(
    here('../../node_modules/.bin/llc-relay'),
    [
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
      '--token-budget',
      '0',
      '--heartbeat-ms',
      '300000',
    ],
    /WebSocket (ws:\/\/\S+);/,
  );
  // Fresh ids per run: NATS keeps the previous runs' events, and a stream's retained batches are not re-sent.
  const nonce = Math.random().toString(36).slice(2, 8);
  const conv = (i) => `c${nonce}${i}`;
  const read = await reader(relay.match[1], SECRET, conv(0).slice(0, -1));
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  // The relay's NATS subscriptions reach the server shortly after `subscribed` (live events published before
  // that would only be found by a resume, which this benchmark does not do).
  await sleep(1000);
  const stream = (i) => `s${nonce}${i}`;
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
  const cpu0 = cpuOf(relay.child.pid);
  const t0 = performance.now();
  const text = ' token';
  for (let r = 1; r <= R; r++) {
    for (let i = 0; i < C; i++) void broker.publish(conv(i), { type: 'token', streamId: stream(i), seq: r, text });
    await broker.flush();
  }
  const frames = (await drain(read, C * (R + 1))) - C;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuOf(relay.child.pid) - cpu0;
  const metrics = await (await fetch(relay.match[1].replace('ws://', 'http://').replace(/\/ws$/, '/metrics'))).text();
  const coalesced = Number(/^llc_relay_coalesced_frames_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  read.child.stdin.end();
  await broker.close();
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  return { frames, expected: C * R, cpu, seconds, coalesced };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const nats = await startNats();
  const results = { raw: [], relay: [] };
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`run ${run}/${RUNS}: raw uWS … `);
    const raw = await rawRun();
    results.raw.push(raw);
    process.stderr.write(`${(raw.frames / raw.cpu / 1000).toFixed(0)}k frames per CPU-s; relay … `);
    const relay = await relayRun(nats);
    results.relay.push(relay);
    process.stderr.write(`${(relay.frames / relay.cpu / 1000).toFixed(0)}k frames per CPU-s\n`);
  }
  await nats.stop();
  const perCore = (r) => r.frames / r.cpu;
  const summary = (rs) => ({
    median: median(rs.map(perCore)),
    min: Math.min(...rs.map(perCore)),
    max: Math.max(...rs.map(perCore)),
  });
  const raw = summary(results.raw);
  const relay = summary(results.relay);
  const k = (x) => `${(x / 1000).toFixed(0)}k`;
  const lines = [
    `# Send throughput per core — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-throughput.mjs --sockets ${C} --rounds ${R} --runs ${RUNS}\``,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}.`,
    `${C} sockets × ${R} token frames each; frames delivered per CPU-second of the server process (= frames/s per core).`,
    'The relay path: NATS core subscription → decode → seq rule → priority send queue → corked write.',
    '',
    '| server | frames/s per core, median (min–max) | vs raw uWS | frames delivered / expected (last run) | relay coalesced |',
    '|---|---|---|---|---|',
    `| uws-raw send loop | ${k(raw.median)} (${k(raw.min)}–${k(raw.max)}) | 100 % | ${results.raw.at(-1).frames} / ${results.raw.at(-1).expected} | — |`,
    `| llc-relay via NATS | ${k(relay.median)} (${k(relay.min)}–${k(relay.max)}) | ${((relay.median / raw.median) * 100).toFixed(0)} % | ${results.relay.at(-1).frames} / ${results.relay.at(-1).expected} | ${results.relay.at(-1).coalesced} |`,
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/send-throughput.md`, lines.join('\n'));
  writeFileSync(`${OUT}/send-throughput.json`, JSON.stringify({ sockets: C, rounds: R, raw, relay, results }, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

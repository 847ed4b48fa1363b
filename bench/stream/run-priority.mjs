#!/usr/bin/env node
/**
 * First-token priority under saturation: sockets that read slower than their streams produce (backpressure),
 * each following several busy streams; new streams start on them every `--every` ms. Publish → arrival of each
 * new stream's first batch is compared with the relay's first-token priority on and off, same run, alternating.
 *
 * Each run also feeds the `ws` + NATS peer (bench/peers/ws-nats.mjs) the same load through NATS, so the relay's
 * figures sit beside a plain server's in the same run (`--peer none` leaves it out).
 *
 *   node bench/stream/run-priority.mjs [--sockets 20] [--busy 8] [--seconds 8] [--runs 3] [--peer ws+nats|none]
 *
 * The relay (embedded broker) runs in this process with default send bounds except a hard limit high enough
 * that the slow sockets are not closed during the run (closing them is what the hard limit is for; that is
 * measured elsewhere).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryBroker, NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';
import { Authenticator, MemoryStore, startRelay } from '@locallightchat/relay';
import { BENCH_SECRET, cliOptions, machineLine, sleep, startProcess } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const SOCKETS = Number(arg('sockets', 20));
const BUSY = Number(arg('busy', 8));
const SECONDS = Number(arg('seconds', 8));
const RUNS = Number(arg('runs', 3));
const EVERY = Number(arg('every', 400));
const PEER = arg('peer', 'ws+nats');
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const now = () => performance.timeOrigin + performance.now();

/** The relay (embedded broker) with priority on or off, or the `ws` + NATS peer fed through NATS. */
async function serverFor(mode) {
  if (mode === 'peer') {
    const nats = await startNats();
    const peer = await startProcess(process.execPath, [here('../peers/ws-nats.mjs')], /ready (ws:\/\/\S+)/, {
      env: { BENCH_SECRET: SECRET, BENCH_NATS_URL: nats.url },
    });
    const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
    return {
      broker,
      url: peer.match[1],
      close: async () => {
        await peer.stop();
        await broker.close();
        await nats.stop();
      },
    };
  }
  const broker = new MemoryBroker({ maxRetainedPerConversation: 64 });
  const relay = await startRelay(
    {
      port: 0,
      heartbeatMs: 300_000,
      prioritizeFirstTokens: mode === 'on',
      sendHardLimitBytes: 512 * 1024 * 1024,
      tokenBudget: { capacity: 0, refillPerSecond: 0 },
    },
    { broker, store: new MemoryStore(), auth: await Authenticator.create({ mode: 'jwt', secret: SECRET }), log: quiet },
  );
  return {
    broker,
    url: relay.wsUrl,
    close: async () => {
      await relay.close();
      await broker.close();
    },
  };
}

async function run(mode) {
  const server = await serverFor(mode);
  const broker = server.broker;
  const nonce = Math.random().toString(36).slice(2, 8);
  const conv = (s, k) => `p${nonce}${s}-${k}`;
  const reader = await startProcess(
    process.execPath,
    [
      here('priority-reader.mjs'),
      JSON.stringify({
        url: server.url,
        count: SOCKETS,
        streams: BUSY + 1,
        secret: SECRET,
        prefix: `p${nonce}`,
        readMs: 0,
        periodMs: 50,
      }),
    ],
    /\{"ready":\d+\}/,
    { logLevel: null },
  );
  // Busy streams: conversations 0..BUSY-1 of every socket, an 8 KB batch every 20 ms each — more than a slow
  // socket drains, so kernel buffers fill and the relay's own queue holds the rest.
  const filler = 'x'.repeat(8 * 1024);
  for (let s = 0; s < SOCKETS; s++) {
    for (let k = 0; k < BUSY; k++)
      await broker.publish(conv(s, k), {
        type: 'stream-start',
        streamId: `busy${nonce}${s}-${k}`,
        conversationId: conv(s, k),
        replyTo: 'm',
        model: 'bench',
        createdAt: Date.now(),
      });
  }
  let seq = 0;
  const busy = setInterval(() => {
    seq++;
    for (let s = 0; s < SOCKETS; s++)
      for (let k = 0; k < BUSY; k++)
        void broker.publish(conv(s, k), { type: 'token', streamId: `busy${nonce}${s}-${k}`, seq, text: filler });
  }, 20);
  // New streams on conversation BUSY of each socket, every EVERY ms, staggered across sockets.
  let n = 0;
  let started = 0;
  const starts = setInterval(() => {
    n++;
    started += SOCKETS;
    for (let s = 0; s < SOCKETS; s++) {
      const streamId = `new${nonce}${s}-${n}`;
      void broker.publish(conv(s, BUSY), {
        type: 'stream-start',
        streamId,
        conversationId: conv(s, BUSY),
        replyTo: 'm',
        model: 'bench',
        createdAt: Date.now(),
      });
      void broker.publish(conv(s, BUSY), { type: 'token', streamId, seq: 1, text: `${now().toFixed(3)} ` });
      void broker.publish(conv(s, BUSY), {
        type: 'stream-end',
        streamId,
        conversationId: conv(s, BUSY),
        lastSeq: 1,
        finishReason: 'stop',
      });
    }
  }, EVERY);
  await sleep(4000); // the backlog builds up
  reader.child.stdin.write('?\n');
  await reader.waitFor(/\{"firsts".*\}/);
  const startedBefore = started;
  const firstRound = n + 1;
  await sleep(SECONDS * 1000);
  const startedInWindow = started - startedBefore;
  const lastRound = n;
  clearInterval(starts);
  // Streams started in the window get 8 s more to deliver their first batch (the busy streams keep going); any
  // still missing count as ∞.
  await sleep(8000);
  reader.child.stdin.write('?\n');
  const got = JSON.parse((await reader.waitFor(/\{"firsts".*\}/))[0]);
  clearInterval(busy);
  const inWindow = got.latencies.filter(([id]) => {
    const round = Number(id.split('-').at(-1));
    return round >= firstRound && round <= lastRound;
  });
  const all = inWindow.map(([, ms]) => ms);
  const arrived = all.length;
  while (all.length < startedInWindow) all.push(Infinity);
  all.sort((a, b) => a - b);
  const pct = (p) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))];
  const result = {
    started: startedInWindow,
    firsts: arrived,
    p50: pct(50),
    p95: pct(95),
    max: all.at(-1),
    closed: got.closed,
  };
  reader.child.stdin.end();
  await server.close();
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const on = [];
  const off = [];
  const peer = [];
  const modes = PEER === 'none' ? ['on', 'off'] : ['on', 'off', 'peer'];
  for (let r = 1; r <= RUNS; r++) {
    for (const mode of modes) {
      process.stderr.write(`run ${r}/${RUNS} ${mode === 'peer' ? PEER : `priority ${mode}`} … `);
      const result = await run(mode);
      ({ on, off, peer })[mode].push(result);
      process.stderr.write(`${result.firsts}/${result.started} first batches, p95 ${result.p95.toFixed(0)} ms\n`);
    }
  }
  const p95on = median(on.map((r) => r.p95));
  const p95off = median(off.map((r) => r.p95));
  const p50on = median(on.map((r) => r.p50));
  const p50off = median(off.map((r) => r.p50));
  const lines = [
    `# First-token priority under saturation — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-priority.mjs --sockets ${SOCKETS} --busy ${BUSY} --seconds ${SECONDS} --runs ${RUNS}\``,
    machineLine(),
    `${SOCKETS} slow sockets (one read of ≤ 64 KB every 50 ms), each following ${BUSY} busy streams (8 KB batch every 20 ms) and a conversation where a new`,
    `stream starts every ${EVERY} ms. Publish → arrival of each new stream's first batch, ms (median over runs of each run's percentile;`,
    'streams started during the measured window get 8 s extra to deliver; one still missing counts as ∞).',
    '',
    '| priority | first batches arrived / streams started (per run) | p50 | p95 | max (worst run) |',
    '|---|---|---|---|---|',
    `| on | ${on.map((r) => `${r.firsts}/${r.started}`).join(' · ')} | ${p50on.toFixed(0)} | ${p95on.toFixed(0)} | ${Math.max(...on.map((r) => r.max)).toFixed(0)} |`,
    `| off | ${off.map((r) => `${r.firsts}/${r.started}`).join(' · ')} | ${p50off.toFixed(0)} | ${p95off.toFixed(0)} | ${Math.max(...off.map((r) => r.max)).toFixed(0)} |`,
    ...(peer.length > 0
      ? [
          `| \`${PEER}\` peer (fed through NATS, same run) | ${peer.map((r) => `${r.firsts}/${r.started}`).join(' · ')} | ${median(peer.map((r) => r.p50)).toFixed(0)} | ${median(peer.map((r) => r.p95)).toFixed(0)} | ${Math.max(...peer.map((r) => r.max)).toFixed(0)} |`,
        ]
      : []),
    '',
    ...(peer.length > 0
      ? [
          "The peer has no priority and no send bound: a new stream's first batch waits behind whatever the busy streams queued for its socket in `ws`.",
          '',
        ]
      : []),
    Number.isFinite(p95off)
      ? `First-token p95 with priority on is ${((1 - p95on / p95off) * 100).toFixed(0)} % lower than off (goal: ≥ 40 %).`
      : Number.isFinite(p95on)
        ? `Without priority, the p95 first batch did not arrive within 8 s after the window (it waits behind every busy stream's backlog); with priority it took ${p95on.toFixed(0)} ms — about the time the kernel needs to drain what it already buffered for that socket, which no user-space priority can overtake.`
        : 'Neither mode delivered 95 % of the first batches within 8 s after the window: the load saturated these sockets beyond what priority can fix.',
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/priority.md`, lines.join('\n'));
  const clean = (r) => ({
    ...r,
    p50: Number.isFinite(r.p50) ? r.p50 : null,
    p95: Number.isFinite(r.p95) ? r.p95 : null,
    max: Number.isFinite(r.max) ? r.max : null,
  });
  writeFileSync(
    `${OUT}/priority.json`,
    JSON.stringify(
      {
        on: on.map(clean),
        off: off.map(clean),
        p95on: Number.isFinite(p95on) ? p95on : null,
        p95off: Number.isFinite(p95off) ? p95off : null,
        peer: peer.map(clean),
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

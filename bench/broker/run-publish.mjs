#!/usr/bin/env node
/**
 * The broker's publish path as a bridge drives it: S streams each publish one token batch per round, each from
 * its own task (a bridge receives each stream's backend chunks in their own I/O callbacks, with microtasks run
 * between them). Measured in the same run, interleaved:
 *   per-task  `nc.publish` at once, as NatsBroker did before: nats.js writes its buffer in a microtask after the
 *             first command, so every task's publish becomes its own socket write;
 *   per-turn  `NatsBroker.publish`: publishes gathered until the end of the event-loop turn (turn-publisher.ts).
 * Figure: CPU µs (user + system of this process, which only publishes and counts) per published batch; another
 * connection counts the batches that arrive.
 *
 *   node bench/broker/run-publish.mjs [--streams 2000] [--rounds 20] [--runs 3] [--out bench/results/<date>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, headers } from '@nats-io/transport-node';
import { encodeFrame } from '@locallightchat/protocol';
import { NatsBroker } from '@locallightchat/broker';
import { Subjects, eventMessageId } from '@locallightchat/broker/internal';
import { startNats } from '@locallightchat/test-support';
import { cliOptions, machineLine, sleep } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const S = Number(arg('streams', 2000));
const R = Number(arg('rounds', 20));
const RUNS = Number(arg('runs', 3));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const TEXT = ' a token batch of about forty characters.';

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** One round: every stream publishes from its own timer task (all due together, so one timers phase). */
function round(publishOne, r, nonce) {
  return new Promise((resolve) => {
    let left = S;
    for (let i = 0; i < S; i++) {
      setTimeout(() => {
        publishOne(`c${nonce}${i}`, { type: 'token', streamId: `s${nonce}${i}`, seq: r, text: TEXT });
        if (--left === 0) resolve();
      }, 0);
    }
  });
}

async function measure(kind, broker, nc, counter) {
  const nonce = Math.random().toString(36).slice(2, 8);
  const publishOne =
    kind === 'per-turn'
      ? (conversationId, event) => void broker.publish(conversationId, event)
      : (conversationId, event) => {
          const h = headers();
          h.set('Nats-Msg-Id', eventMessageId(event));
          nc.publish(Subjects.event(conversationId, event), encodeFrame(event), { headers: h });
        };
  const before = counter.count;
  const cpu0 = cpuMicros();
  for (let r = 1; r <= R; r++) await round(publishOne, r, nonce);
  await broker.flush();
  await nc.flush();
  const cpu = cpuMicros() - cpu0;
  for (let i = 0; i < 100 && counter.count - before < S * R; i++) await sleep(50);
  return { usPerBatch: cpu / (S * R), delivered: counter.count - before };
}

async function main() {
  const nats = await startNats();
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  const nc = await connect({ servers: nats.url });
  const sub = await connect({ servers: nats.url });
  const counter = { count: 0 };
  sub.subscribe('llc.conv.>', { callback: () => counter.count++ });
  await sub.flush();
  const results = { 'per-task': [], 'per-turn': [] };
  await measure('per-turn', broker, nc, counter); // warm-up
  for (let run = 0; run < RUNS; run++) {
    for (const kind of run % 2 ? ['per-turn', 'per-task'] : ['per-task', 'per-turn']) {
      results[kind].push(await measure(kind, broker, nc, counter));
    }
  }
  await Promise.all([broker.close(), nc.close(), sub.close()]);
  await nats.stop();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const us = (kind) => median(results[kind].map((r) => r.usPerBatch));
  const ratio = us('per-task') / us('per-turn');
  const lines = [
    `# Broker publish path — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/broker/run-publish.mjs --streams ${S} --rounds ${R} --runs ${RUNS}\``,
    machineLine(),
    `${S} streams × ${R} rounds, each batch published from its own task; CPU of the publishing process (user + system) per batch, median of ${RUNS} interleaved runs.`,
    '',
    '| publish | CPU µs per batch, median (all runs) | delivered / published (last run) |',
    '|---|---|---|',
    ...['per-task', 'per-turn'].map(
      (k) =>
        `| ${k} | ${us(k).toFixed(2)} (${results[k].map((r) => r.usPerBatch.toFixed(2)).join(', ')}) | ${results[k].at(-1).delivered} / ${S * R} |`,
    ),
    '',
    `Gathering per turn: ${ratio.toFixed(2)}× less CPU per published batch than a write per task.`,
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/broker-publish.md`, lines.join('\n'));
  writeFileSync(`${OUT}/broker-publish.json`, JSON.stringify({ streams: S, rounds: R, results, ratio }, null, 2));
  process.stdout.write(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env node
/**
 * The broker's publish path as a bridge drives it: S streams each publish one token batch per round, each from
 * its own task (a bridge receives each stream's backend chunks in their own I/O callbacks, with microtasks run
 * between them). Measured in the same run, interleaved:
 *   per-task  `nc.publish` at once, as NatsBroker did first: nats.js writes its buffer in a microtask after the
 *             first command, so every task's publish becomes its own socket write;
 *   per-turn  core publishes gathered until the end of the event-loop turn (turn-publisher.ts), no ack: what
 *             NatsBroker did before events were acknowledged (JetStream captured them when it could);
 *   acked     `NatsBroker.publish`: gathered per turn, each event acknowledged by JetStream (PubAck on one inbox
 *             subscription, retried in order when late: nats-durable-publisher.ts); the CPU counted includes
 *             receiving every ack (measured until all are in).
 * Figure: CPU µs (user + system of this process, which only publishes and counts) per published batch; another
 * connection counts the batches that arrive.
 *
 * `--ack-timeout-ms` is NatsBroker's publishAckTimeoutMs (default 5000, as in production): on a loaded machine a
 * burst of 40,000 batches is acknowledged more slowly than that and part of it is sent again (column "sent
 * again"); a long timeout measures what the acks themselves cost.
 *
 *   node bench/broker/run-publish.mjs [--streams 2000] [--rounds 20] [--runs 3] [--ack-timeout-ms 5000] [--out bench/results/<date>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, headers } from '@nats-io/transport-node';
import { encodeFrame } from '@locallightchat/protocol';
import { NatsBroker } from '@locallightchat/broker';
import { Subjects, TurnPublisher, eventMessageId } from '@locallightchat/broker/internal';
import { startNats } from '@locallightchat/test-support';
import { cliOptions, machineLine, sleep } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const S = Number(arg('streams', 2000));
const R = Number(arg('rounds', 20));
const RUNS = Number(arg('runs', 3));
const ACK_TIMEOUT_MS = Number(arg('ack-timeout-ms', 5000));
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

const KINDS = ['per-task', 'per-turn', 'acked'];

async function measure(kind, broker, nc, counter) {
  const nonce = Math.random().toString(36).slice(2, 8);
  const turn = new TurnPublisher((subject, data, h) => nc.publish(subject, data, { headers: h }));
  const publishOne = {
    acked: (conversationId, event) => void broker.publish(conversationId, event),
    'per-turn': (conversationId, event) => {
      const h = headers();
      h.set('Nats-Msg-Id', eventMessageId(event));
      void turn.publish(Subjects.event(conversationId, event), encodeFrame(event), h);
    },
    'per-task': (conversationId, event) => {
      const h = headers();
      h.set('Nats-Msg-Id', eventMessageId(event));
      nc.publish(Subjects.event(conversationId, event), encodeFrame(event), { headers: h });
    },
  }[kind];
  const before = counter.count;
  const resent0 = broker.resentEvents;
  const cpu0 = cpuMicros();
  for (let r = 1; r <= R; r++) await round(publishOne, r, nonce);
  turn.flush();
  await broker.flush();
  await nc.flush();
  if (kind === 'acked') await broker.settled(60_000);
  const cpu = cpuMicros() - cpu0;
  for (let i = 0; i < 100 && counter.count - before < S * R; i++) await sleep(50);
  return { usPerBatch: cpu / (S * R), delivered: counter.count - before, resent: broker.resentEvents - resent0 };
}

async function main() {
  const nats = await startNats();
  const broker = await NatsBroker.connect({
    servers: nats.url,
    publishAckTimeoutMs: ACK_TIMEOUT_MS,
    publishDeadlineMs: 60_000,
    log: () => undefined,
  });
  const nc = await connect({ servers: nats.url });
  const sub = await connect({ servers: nats.url });
  const counter = { count: 0 };
  sub.subscribe('llc.conv.>', { callback: () => counter.count++ });
  await sub.flush();
  const results = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (const kind of KINDS) await measure(kind, broker, nc, counter); // warm-up
  for (let run = 0; run < RUNS; run++) {
    for (const kind of run % 2 ? [...KINDS].reverse() : KINDS) {
      results[kind].push(await measure(kind, broker, nc, counter));
    }
  }
  await Promise.all([broker.close(), nc.close(), sub.close()]);
  await nats.stop();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const us = (kind) => median(results[kind].map((r) => r.usPerBatch));
  const ratio = us('per-task') / us('per-turn');
  const ackCost = us('acked') / us('per-turn');
  const lines = [
    `# Broker publish path — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/broker/run-publish.mjs --streams ${S} --rounds ${R} --runs ${RUNS} --ack-timeout-ms ${ACK_TIMEOUT_MS}\``,
    machineLine(),
    `${S} streams × ${R} rounds, each batch published from its own task; CPU of the publishing process (user + system) per batch, median of ${RUNS} interleaved runs.`,
    '',
    '| publish | CPU µs per batch, median (all runs) | delivered / published (last run) | sent again (all runs) |',
    '|---|---|---|---|',
    ...KINDS.map(
      (k) =>
        `| ${k} | ${us(k).toFixed(2)} (${results[k].map((r) => r.usPerBatch.toFixed(2)).join(', ')}) | ${results[k].at(-1).delivered} / ${S * R} | ${results[k].reduce((n, r) => n + (r.resent ?? 0), 0)} |`,
    ),
    '',
    `Gathering per turn: ${ratio.toFixed(2)}× less CPU per published batch than a write per task.`,
    `JetStream acks (with their retry bookkeeping): ${ackCost.toFixed(2)}× the CPU per batch of the unacknowledged per-turn publish.`,
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/broker-publish.md`, lines.join('\n'));
  writeFileSync(
    `${OUT}/broker-publish.json`,
    JSON.stringify({ streams: S, rounds: R, results, ratio, ackCost }, null, 2),
  );
  process.stdout.write(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

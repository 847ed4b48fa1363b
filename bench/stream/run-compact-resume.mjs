#!/usr/bin/env node
/**
 * Compact resume (issue 15, item 4): a tab that joins an in-flight answer from far behind — a reload, a second
 * device — should get the text so far in one compacted frame plus the live tail, not every batch again, and
 * still every seq exactly once and in order.
 *
 * Two `llc-relay` processes via NATS (`--bridge none`); this script publishes S streams as a bridge would
 * (JetStream, retained). A live reader per stream follows it from its start on relay A. After B batches the same
 * user opens a socket on relay A (the batches in its ring) and one on relay B (which has not seen the
 * conversation: its subscribe reads the retained batches from JetStream); each subscribes and resumes from seq 1.
 * Then T more batches and the end are published. Measured per reader, as WebSocket payload bytes: what covered
 * seqs 1..B (the late readers' catch-up against the live reader's batch by batch) against the UTF-8 bytes of the
 * text of those seqs (goal ≤ 1.1×), the frames it took, and each relay's resumes by source. Every reader checks
 * every batch with the protocol's seq rule, and its final text against the published one.
 *
 *   node bench/stream/run-compact-resume.mjs [--streams 50] [--batches 500] [--tail 50]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { NatsBroker } from '@locallightchat/broker';
import { classifyBatch, decodeServerFrame, encodeFrame } from '@locallightchat/protocol';
import { startNats } from '@locallightchat/test-support';
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
const STREAMS = Number(arg('streams', 50));
const BATCHES = Number(arg('batches', 500));
const TAIL = Number(arg('tail', 50));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const GOAL = 1.1;

// A batch's text: a few words of prose with some non-ASCII, as a model's deltas are (2–5 tokens of ~5 bytes).
const WORDS = ['the ', 'relay ', 'résumé ', 'streams ', 'tokens ', 'naïve ', 'queue ', '— ', 'cache ', '→ '];
const batchText = (stream, seq) => {
  let text = '';
  for (let k = 0; k < 2 + ((stream + seq) % 4); k++) text += WORDS[(stream * 7 + seq * 3 + k) % WORDS.length];
  return text;
};
const textOf = (stream, from, to) => {
  let text = '';
  for (let seq = from; seq <= to; seq++) text += batchText(stream, seq);
  return text;
};

const token = (user) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BENCH_SECRET));

/**
 * A socket following stream `streamId` of `conversationId`: every token frame checked by the seq rule, the bytes
 * and frames that covered seqs ≤ `catchUpTo` counted, the text kept.
 */
async function reader(url, user, conversationId, streamId, { resumeFrom, catchUpTo }) {
  const ws = new WebSocket(url, ['llc.v1'], { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const r = { lastSeq: 0, text: '', catchUpBytes: 0, catchUpFrames: 0, faults: [], end: undefined, errors: [] };
  let subscribed;
  const isSubscribed = new Promise((resolve) => (subscribed = resolve));
  let ended;
  r.ended = new Promise((resolve) => (ended = resolve));
  ws.on('message', (data) => {
    const decoded = decodeServerFrame(new Uint8Array(data));
    if (!decoded.ok) return void r.faults.push(`undecodable frame: ${decoded.error}`);
    const f = decoded.frame;
    if (f.type === 'subscribed') return void subscribed();
    if (f.type === 'error') {
      r.errors.push(`${f.code}: ${f.message}`);
      // A refused subscribe ends the wait for `subscribed` (the reader then counts as not whole), not the run.
      if (f.ref === conversationId) subscribed();
      return;
    }
    if (f.streamId !== streamId) return;
    if (f.type === 'stream-end') {
      r.end = f;
      return void ended();
    }
    if (f.type !== 'token') return;
    const place = classifyBatch(r.lastSeq, f);
    if (place !== 'next')
      return void r.faults.push(`${place}: seqs ${f.firstSeq ?? f.seq}..${f.seq} after ${r.lastSeq}`);
    if (f.seq <= catchUpTo) {
      r.catchUpBytes += data.length;
      r.catchUpFrames++;
    } else if ((f.firstSeq ?? f.seq) <= catchUpTo) {
      r.faults.push(`a frame spans the catch-up's end: ${f.firstSeq}..${f.seq}`);
    }
    r.text += f.text;
    r.lastSeq = f.seq;
  });
  ws.send(encodeFrame({ type: 'hello', v: 1, token: await token(user) }));
  ws.send(encodeFrame({ type: 'subscribe', conversationId }));
  await isSubscribed;
  if (resumeFrom !== undefined) ws.send(encodeFrame({ type: 'resume', conversationId, streamId, fromSeq: resumeFrom }));
  r.caughtUp = async (seq, deadline) => {
    while (r.lastSeq < seq && Date.now() < deadline) await sleep(20);
  };
  r.close = () => ws.close();
  return r;
}

async function main() {
  const nats = await startNats();
  // Relay A serves the live readers (the answers' batches in its ring); relay B has never seen these
  // conversations, as a second node a reload may land on: its subscribe reads them from JetStream.
  const relays = [0, 1].map(() =>
    spawnWatched(here('../../node_modules/.bin/llc-relay'), benchRelayArgs({ natsUrl: nats.url })),
  );
  const [url, otherUrl] = await Promise.all(relays.map(async (r) => (await r.waitFor(RELAY_READY))[1]));
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  const prefix = `cr${Math.random().toString(36).slice(2, 7)}`;
  const conv = (i) => `${prefix}c${i}`;
  const stream = (i) => `${prefix}s${i}`;
  const user = (i) => `${prefix}-u${i}`;

  const live = [];
  for (let i = 0; i < STREAMS; i++)
    live.push(await reader(url, user(i), conv(i), stream(i), { resumeFrom: undefined, catchUpTo: BATCHES }));
  for (let i = 0; i < STREAMS; i++)
    await broker.publish(conv(i), {
      type: 'stream-start',
      streamId: stream(i),
      conversationId: conv(i),
      replyTo: `m${i}`,
      model: 'bench',
      createdAt: Date.now(),
    });
  const publishBatches = async (from, to) => {
    for (let seq = from; seq <= to; seq++) {
      await Promise.all(
        Array.from({ length: STREAMS }, (_, i) =>
          broker.publish(conv(i), { type: 'token', streamId: stream(i), seq, text: batchText(i, seq) }),
        ),
      );
      // Paced (~1 ms a round) so the live readers see batches one by one, as a model's stream arrives.
      await sleep(1);
    }
  };
  await publishBatches(1, BATCHES);
  const deadline = Date.now() + 60_000;
  for (const r of live) await r.caughtUp(BATCHES, deadline);

  // The late readers: the same users on a second socket, resuming from seq 1 while the answers are in flight,
  // on relay A and on relay B.
  const late = [];
  const elsewhere = [];
  for (let i = 0; i < STREAMS; i++) {
    late.push(await reader(url, user(i), conv(i), stream(i), { resumeFrom: 1, catchUpTo: BATCHES }));
    elsewhere.push(await reader(otherUrl, user(i), conv(i), stream(i), { resumeFrom: 1, catchUpTo: BATCHES }));
  }
  const catchUpDeadline = Date.now() + 30_000; // one for all: a reader that never catches up costs 30 s, not each
  for (const r of [...late, ...elsewhere]) await r.caughtUp(BATCHES, catchUpDeadline);
  await publishBatches(BATCHES + 1, BATCHES + TAIL);
  for (let i = 0; i < STREAMS; i++)
    await broker.publish(conv(i), {
      type: 'stream-end',
      streamId: stream(i),
      conversationId: conv(i),
      lastSeq: BATCHES + TAIL,
      finishReason: 'stop',
    });
  const readers = [...live, ...late, ...elsewhere];
  await Promise.race([Promise.all(readers.map((r) => r.ended)), sleep(30_000)]);
  /** A relay's resumes by source (ring, JetStream, …) from its /metrics. */
  const resumesOf = async (wsUrl) => {
    const metricsUrl = wsUrl.replace('ws://', 'http://').replace(/\/ws$/, '/metrics');
    const metrics = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${BENCH_SECRET}` } })).text();
    return Object.fromEntries(
      [...metrics.matchAll(/^llc_relay_resumes_total\{source="([^"]+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]),
    );
  };
  const resumes = { a: await resumesOf(url), b: await resumesOf(otherUrl) };
  for (const r of readers) r.close();
  await broker.close();
  for (const relay of relays) relay.child.kill('SIGTERM');
  await Promise.all(relays.map((relay) => new Promise((r) => relay.child.once('exit', r))));
  await nats.stop();

  const whole = (rs) =>
    rs.filter(
      (r, i) =>
        r.faults.length === 0 &&
        r.end?.lastSeq === BATCHES + TAIL &&
        r.lastSeq === BATCHES + TAIL &&
        r.text === textOf(i, 1, BATCHES + TAIL),
    ).length;
  const textBytes = Array.from({ length: STREAMS }, (_, i) => Buffer.byteLength(textOf(i, 1, BATCHES)));
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const ratios = (rs) => rs.map((r, i) => r.catchUpBytes / textBytes[i]).sort((a, b) => a - b);
  const summary = (rs) => {
    const rr = ratios(rs);
    return {
      bytes: sum(rs.map((r) => r.catchUpBytes)),
      frames: sum(rs.map((r) => r.catchUpFrames)),
      ratio: sum(rs.map((r) => r.catchUpBytes)) / sum(textBytes),
      worstRatio: rr.at(-1),
      whole: whole(rs),
      faults: rs.flatMap((r) => r.faults).slice(0, 5),
      errors: rs.flatMap((r) => r.errors).slice(0, 5),
    };
  };
  const result = {
    streams: STREAMS,
    batches: BATCHES,
    tail: TAIL,
    textBytes: sum(textBytes),
    live: summary(live),
    late: summary(late),
    elsewhere: summary(elsewhere),
    resumes,
    goal: GOAL,
  };
  const kb = (b) => (b / 1024).toFixed(1);
  const row = (name, s) =>
    `| ${name} | ${kb(s.bytes)} KB in ${s.frames} frames (${(s.frames / STREAMS).toFixed(1)} per reader) | ${s.ratio.toFixed(3)}× (worst reader ${s.worstRatio.toFixed(3)}×) | ${s.whole} / ${STREAMS} | ${s.faults.length || s.errors.length ? [...s.faults, ...s.errors].join('; ') : 'none'} |`;
  const lines = [
    `# Compact resume — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/stream/run-compact-resume.mjs --streams ${STREAMS} --batches ${BATCHES} --tail ${TAIL}\``,
    machineLine(),
    `Two llc-relay processes via NATS. ${STREAMS} answers in flight, each followed from its start by a live reader on relay A;`,
    `after ${BATCHES} batches (${kb(result.textBytes / STREAMS)} KB of text each, 2–5 words a batch) a socket of the same user on relay A, and one on relay B`,
    '(which had not seen the conversation: its subscribe read the retained batches from JetStream), each resume from seq 1,',
    `then ${TAIL} more batches and the end follow. Bytes are WebSocket payloads of the frames that covered seqs 1..${BATCHES},`,
    'against the UTF-8 bytes of their text. "Whole": every seq once and in order (the protocol\'s seq rule), the',
    'normal end, the final text equal to the published one.',
    '',
    `| reader | bytes for seqs 1..${BATCHES} | vs the text's ${kb(result.textBytes)} KB | whole | faults |`,
    '|---|---|---|---|---|',
    row('live (batch by batch, as published)', result.live),
    row('late, same relay (resume from seq 1)', result.late),
    row('late, another relay (resume from seq 1)', result.elsewhere),
    '',
    `Resumes by source: relay A ${JSON.stringify(resumes.a)}, relay B ${JSON.stringify(resumes.b)}. Goal: a late`,
    `reader's bytes ≤ ${GOAL}× the text, on either relay.`,
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/compact-resume.md`, lines.join('\n'));
  writeFileSync(`${OUT}/compact-resume.json`, JSON.stringify(result, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

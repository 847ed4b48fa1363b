#!/usr/bin/env node
// The resume storm's producer (run-resume-storm.mjs), acting as a bridge: `count` streams, stream i in
// conversation `<convPrefix><i>`, each publishing one token batch every `periodMs` (spread over the period) to
// NATS through the broker the bridge uses (JetStream, retained), batch `seq` carrying the text `<seq>.` so that a
// client can check every batch's text. Slow, long streams: in flight for as long as the storm takes.
//
// stdin: `?` prints {"published":…}; `end` stops the batches, publishes each stream's end and prints {"ended":…}.
//   node bench/idle/resume-publisher.mjs '{"natsUrl":"nats://…","count":10000,"convPrefix":"c","streamPrefix":"s","periodMs":1000}'
import { createInterface } from 'node:readline';
import { NatsBroker } from '@locallightchat/broker';

const { natsUrl, count, convPrefix, streamPrefix, periodMs } = JSON.parse(process.argv[2]);
const broker = await NatsBroker.connect({ servers: natsUrl, log: () => undefined });
const conv = (i) => `${convPrefix}${i}`;
const stream = (i) => `${streamPrefix}${i}`;
const seq = new Uint32Array(count);
let published = 0;
let failed = 0;
// A stream one of whose batches could not be stored is stopped (its later batches would follow a hole): counted,
// and its client's transcript is then expected to fail.
const broken = new Uint8Array(count);
const publish = (i, event) =>
  broker.publish(conv(i), event).then(
    () => published++,
    () => {
      failed++;
      broken[i] = 1;
    },
  );

for (let from = 0; from < count; from += 500) {
  const starts = [];
  for (let i = from; i < Math.min(count, from + 500); i++)
    starts.push(
      publish(i, {
        type: 'stream-start',
        streamId: stream(i),
        conversationId: conv(i),
        replyTo: `m${i}`,
        model: 'bench',
        createdAt: Date.now(),
      }),
    );
  await Promise.all(starts);
}

const t0 = performance.now();
let running = true;
// In flight at most one batch per stream: a batch waits for the previous one's acknowledgement (JetStream), so
// seqs reach the broker in order however the machine lags.
const inFlight = new Uint8Array(count);
const tick = () => {
  if (!running) return;
  const elapsed = performance.now() - t0;
  for (let i = 0; i < count; i++) {
    if (inFlight[i] || broken[i]) continue;
    const due = Math.floor((elapsed - (i / count) * periodMs) / periodMs) + 1;
    if (seq[i] >= due) continue;
    const s = ++seq[i];
    inFlight[i] = 1;
    void publish(i, { type: 'token', streamId: stream(i), seq: s, text: `${s}.` }).then(() => (inFlight[i] = 0));
  }
  setTimeout(tick, 10);
};
tick();
process.stdout.write(`${JSON.stringify({ ready: count })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === '?')
    process.stdout.write(`${JSON.stringify({ published, failed, broken: broken.reduce((a, b) => a + b, 0) })}\n`);
  if (line === 'end') {
    running = false;
    while (inFlight.some((x) => x)) await new Promise((r) => setTimeout(r, 20));
    const ends = [];
    for (let i = 0; i < count; i++)
      ends.push(
        publish(i, {
          type: 'stream-end',
          streamId: stream(i),
          conversationId: conv(i),
          lastSeq: seq[i],
          finishReason: 'stop',
        }),
      );
    await Promise.all(ends);
    const brokenStreams = broken.reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ ended: count, published, failed, broken: brokenStreams })}\n`);
  }
}
await broker.close();

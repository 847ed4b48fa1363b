// Probe: what each part of a replay costs, in wall time (sequential) and in nats-server CPU (from /proc), against a
// JetStream stream holding N conversations × BATCHES events — which part grows with what the stream retains; then
// STORM conversation replays at once (a relay's seeds after the other relay of two died), twice. GROUP
// conversations are filled at once, batch by batch, so one conversation's events lie spread over GROUP × BATCHES
// of the stream (live answers interleave like this: 10,000 streaming at once spread each over the whole stream).
//   cd bench && node --conditions=llc-source --import tsx broker/replay-parts.mjs [N=2000] [BATCHES=40] [K=200] [STORM=500] [GROUP=200]
import { readFileSync } from 'node:fs';
import { NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';

const [N, BATCHES, K, STORM, GROUP] = [2000, 40, 200, 500, 200].map((d, i) => Number(process.argv[2 + i] ?? d));
const nats = await startNats();
const pid = Number(
  readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8')
    .trim()
    .split(/\s+/)[0],
);
const cpuMs = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
};
const broker = await NatsBroker.connect({ servers: nats.url });
const convs = Array.from({ length: N }, (_, i) => `c_probe${i}`);
for (let j = 0; j < N; j += GROUP)
  await Promise.all(
    convs.slice(j, j + GROUP).map(async (c, k) => {
      const i = j + k;
      const streamId = `s_probe${i}`;
      await broker.publish(c, {
        type: 'stream-start',
        streamId,
        conversationId: c,
        replyTo: `m_${i}`,
        model: 'm',
        createdAt: Date.now(),
      });
      for (let seq = 1; seq <= BATCHES; seq++)
        await broker.publish(c, { type: 'token', streamId, seq, text: 'hello world ' });
    }),
  );
await broker.flush();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const stream = 'LLC_EVENTS';
async function time(label, fn) {
  const [t, c] = [performance.now(), cpuMs()];
  for (let i = 0; i < K; i++) await fn(convs[(i * 97) % N], (i * 97) % N);
  console.log(
    `${label}: ${((performance.now() - t) / K).toFixed(2)} ms wall, ${((cpuMs() - c) / K).toFixed(2)} ms nats-server CPU each`,
  );
}
const wildcard = (c) => `llc.conv.${c}.>`;
const literal = (c, i) => `llc.conv.${c}.s_probe${i}`;
await time('stream info, wildcard filter   ', (c) => jsm.streams.info(stream, { subjects_filter: wildcard(c) }));
await time('stream info, literal filter    ', (c, i) => jsm.streams.info(stream, { subjects_filter: literal(c, i) }));
for (const [label, subject] of [
  ['consumer+fetch+delete, wildcard', wildcard],
  ['consumer+fetch+delete, literal ', literal],
]) {
  await time(label, async (c, i) => {
    const consumer = await js.consumers.get(stream, {
      filter_subjects: subject(c, i),
      deliver_policy: DeliverPolicy.All,
    });
    for await (const m of await consumer.fetch({ max_messages: BATCHES + 1, expires: 5000 }))
      if (m.info.pending === 0) break;
    await consumer.delete();
  });
}
await time('broker.replay(conversation)    ', (c) => broker.replay({ conversationId: c }));
await time('broker.replay(stream)          ', (c, i) =>
  broker.replay({ conversationId: c, streamId: `s_probe${i}`, fromSeq: 1 }),
);
for (const round of [1, 2]) {
  const [t, c] = [performance.now(), cpuMs()];
  await Promise.all(convs.slice(0, STORM).map((c) => broker.replay({ conversationId: c })));
  console.log(
    `${STORM} conversation replays at once (round ${round}): ${(performance.now() - t).toFixed(0)} ms wall, ${(cpuMs() - c).toFixed(0)} ms nats-server CPU`,
  );
}
console.log(
  `${stream}: ${(await jsm.streams.info(stream)).state.messages} messages, filled ${GROUP} conversations at a time`,
);
await nc.close();
await broker.close();
await nats.stop();

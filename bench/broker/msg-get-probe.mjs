// Probe: a conversation's retained events read with a consumer (create + fetch + delete, as NatsBroker's replay
// does per subject) against one stream-msg-get request per message (`next_by_subj`, no consumer), in wall time
// and nats-server CPU (/proc), N conversations × BATCHES events retained; then STORM reads at once each way.
//   cd bench && node --conditions=llc-source --import tsx broker/msg-get-probe.mjs [N=5000] [BATCHES=5] [STORM=2000]
import { readFileSync } from 'node:fs';
import { NatsBroker } from '@locallightchat/broker';
import { startNats } from '@locallightchat/test-support';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';

const [N, BATCHES, STORM] = [5000, 5, 2000].map((d, i) => Number(process.argv[2 + i] ?? d));
const nats = await startNats();
const pid = Number(readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
const cpuMs = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const broker = await NatsBroker.connect({ servers: nats.url });
const convs = Array.from({ length: N }, (_, i) => `c_probe${i}`);
for (let j = 0; j < N; j += 500)
  await Promise.all(
    convs.slice(j, j + 500).map(async (c, k) => {
      const streamId = `s_probe${j + k}`;
      await broker.publish(c, {
        type: 'stream-start',
        streamId,
        conversationId: c,
        replyTo: 'm',
        model: 'm',
        createdAt: 0,
      });
      for (let seq = 1; seq <= BATCHES; seq++) await broker.publish(c, { type: 'token', streamId, seq, text: 'hi ' });
    }),
  );
await broker.flush();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const stream = 'LLC_EVENTS';
const subject = (i) => `llc.conv.${convs[i]}.s_probe${i}`;

async function viaConsumer(i) {
  const consumer = await js.consumers.get(stream, { filter_subjects: subject(i), deliver_policy: DeliverPolicy.All });
  let n = 0;
  for await (const m of await consumer.fetch({ max_messages: BATCHES + 1, expires: 5000 })) {
    n++;
    if (m.info.pending === 0) break;
  }
  await consumer.delete();
  return n;
}
async function viaMsgGet(i) {
  let seq = 0;
  let n = 0;
  for (let k = 0; k < BATCHES + 1; k++) {
    const m = await jsm.streams.getMessage(stream, { next_by_subj: subject(i), seq });
    n++;
    seq = m.seq + 1;
  }
  return n;
}
async function info(i) {
  await jsm.streams.info(stream, { subjects_filter: `llc.conv.${convs[i]}.>` });
}
for (const [label, fn] of [
  ['stream info (subjects_filter)', info],
  ['consumer create+fetch+delete', viaConsumer],
  ['msg get next_by_subj per msg ', viaMsgGet],
]) {
  let [t, c] = [performance.now(), cpuMs()];
  for (let k = 0; k < 200; k++) await fn((k * 97) % N);
  console.log(
    `${label}: one at a time ${((performance.now() - t) / 200).toFixed(2)} ms wall, ${((cpuMs() - c) / 200).toFixed(2)} ms server CPU each`,
  );
  [t, c] = [performance.now(), cpuMs()];
  await Promise.all(Array.from({ length: STORM }, (_, k) => fn(k % N)));
  console.log(`${label}: ${STORM} at once ${(performance.now() - t).toFixed(0)} ms wall, ${cpuMs() - c} ms server CPU`);
}
await nc.close();
await broker.close();
await nats.stop();

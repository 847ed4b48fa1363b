/**
 * Chaos: a NATS node dies. A three-node nats-server cluster (JetStream, every stream with 3 replicas), redis-server,
 * a vLLM simulator, one llc-bridge and one llc-relay, each its own process. While answers stream, the NATS node
 * with the most client connections (the relay's or the bridge's) is SIGKILLed: the clients move to the other two
 * nodes, and every answer ends whole — each batch once, in order, equal to the stored answer — and a new message
 * afterwards is answered too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import {
  hs256Token,
  startBridgeProcess,
  startNatsCluster,
  startRedis,
  startRelayProcess,
  startSimProcess,
  type NatsCluster,
  type RelayProcess,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';
import {
  expectStoredAnswers,
  inBatches,
  StreamFollower,
  type FollowedAnswer,
} from '@locallightchat/test-support/follower';

const TABS = 50;
let cluster: NatsCluster;
let redis: RunningServer;
let relay: RelayProcess;
const processes: StartedProcess[] = [];

before(async () => {
  [cluster, redis] = await Promise.all([startNatsCluster(3), startRedis()]);
  const sim = await startSimProcess({ args: ['--speed', '0.05'] });
  processes.push(sim);
  processes.push(
    await startBridgeProcess(cluster.url, [sim.url], {
      args: ['--nats-replicas', '3', '--ttft-timeout-ms', '0', '--max-queue-ms', '600000'],
    }),
  );
  relay = await startRelayProcess(cluster.url, redis.url, { args: ['--nats-replicas', '3'] });
  processes.push(relay);
});

after(async () => {
  for (const p of processes.reverse()) await p.stop(15_000).catch(() => p.kill());
  await Promise.all([cluster?.stop(), redis?.stop()]);
});

/** Client connections on a node, from its monitoring endpoint. */
async function connections(monitorUrl: string): Promise<number> {
  const connz = (await (await fetch(`${monitorUrl}/connz`)).json()) as { num_connections: number };
  return connz.num_connections;
}

describe('chaos: a three-node NATS cluster (JetStream R3)', () => {
  // Bridges publish with JetStream acks, retried in order through the R3 stream's leader election (broker's
  // nats-durable-publisher.ts): a batch delivered live but not stored during the election is stored on retry.
  it('one node SIGKILLed mid-stream: streams continue, 0 lost', async (t) => {
    const tabs = await inBatches(
      Array.from({ length: TABS }, (_, i) => i),
      25,
      (i) => StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token(`nats-${i}`) }),
    );
    const conversations = tabs.map(() => newId('c_'));
    const answers = tabs.map((tab, i) => tab.chat(conversations[i]!, `Question ${i}: how does Raft elect?`, 150));
    const started = () => tabs.filter((tab) => tab.connection.frames.some((f) => f.type === 'token')).length;
    while (started() < TABS / 2) await new Promise((r) => setTimeout(r, 50));

    const counts = await Promise.all(cluster.nodes.map((n) => connections(n.monitorUrl)));
    const victim = counts.indexOf(Math.max(...counts));
    await cluster.nodes[victim]!.kill();
    const settled = await Promise.allSettled(answers);
    const failed = settled.filter((s) => s.status === 'rejected');
    assert.equal(
      failed.length,
      0,
      `every answer ended: ${failed
        .slice(0, 3)
        .map((f) => String(f.reason))
        .join('; ')}`,
    );
    const done = settled.map((s) => (s as PromiseFulfilledResult<FollowedAnswer>).value);
    const gaps = done.reduce((n, a) => n + a.gaps, 0);
    const duplicates = done.reduce((n, a) => n + a.duplicates, 0);
    const errors = tabs.flatMap((tab) => tab.errors);
    t.diagnostic(
      `${TABS} streams; node ${victim + 1} killed (client connections per node ${counts.join('/')}); ` +
        `${done.reduce((n, a) => n + a.lastSeq, 0)} seqs delivered; holes resumed ${gaps}; duplicated ${duplicates}; ` +
        `error frames ${errors.length} (${[...new Set(errors.map((e) => e.code))].join(',') || 'none'}); ` +
        `finish reasons ${[...new Set(done.map((a) => `${a.end.finishReason} ${a.end.errorCode ?? ''}`))].join(', ')}`,
    );
    assert.equal(duplicates, 0, 'no batch delivered twice');
    for (const a of done) {
      assert.notEqual(
        a.end.finishReason,
        'error',
        `${a.streamId} ended normally (${a.end.errorCode} ${a.end.errorMessage})`,
      );
    }
    await expectStoredAnswers(tabs, conversations, done);

    // The cluster still works on two nodes: a new message is answered and stored.
    const after = await Promise.all(tabs.slice(0, 5).map((tab, i) => tab.chat(conversations[i]!, 'And now?', 20)));
    for (const a of after) assert.ok(a.lastSeq > 0 && a.end.finishReason !== 'error', 'answered after the kill');
    t.diagnostic(`after the kill: ${after.length} new answers of ${after.map((a) => a.lastSeq).join('/')} batches`);
    await inBatches(tabs, 50, (tab) => tab.close());
  });
});

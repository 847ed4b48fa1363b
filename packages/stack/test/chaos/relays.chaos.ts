/**
 * Chaos: relays die under load. Real processes: nats-server (JetStream), redis-server, two vLLM simulators, two
 * llc-bridge (each in front of both simulators) and two llc-relay (production HS256 auth), all on free ports.
 *
 * 1. SIGKILL one relay of two while 1,000 streams run (LLC_CHAOS_STREAMS to change the count): every tab on the
 *    dead relay reconnects to the survivor and resumes by seq. 0 lost (no gap, every answer ends), 0 duplicated
 *    batches, every answer equal to the one the cluster stored; the resume latency's p50/p99 printed.
 * 2. SIGTERM drain while streams run: tabs get go-away, move to the other relay and resume. 0 lost, 0 error
 *    frames shown to any tab, the drained relay exits 0.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { hs256Token, type RelayProcess, type RunningServer } from '@locallightchat/test-support';
import {
  expectStoredAnswers,
  inBatches,
  quantile,
  StreamFollower,
  type FollowedAnswer,
} from '@locallightchat/test-support/follower';
import { assertEndedNormally, chaosRig } from './rig.js';

const STREAMS = Number(process.env.LLC_CHAOS_STREAMS ?? 1000);
const rig = chaosRig();
let nats: RunningServer;
let redis: RunningServer;
let relays: RelayProcess[] = [];

const relay = () => rig.relay(nats.url, redis.url);

before(async () => {
  [nats, redis] = await Promise.all([rig.nats(), rig.redis()]);
  // Two simulators, as a deployment has several replicas (the bridges' load-aware router spreads the streams).
  // 1,000 sequences at once: either engine admits them all; a step takes ~150 ms of simulated time at this speed,
  // so an answer of 40 tokens streams for several seconds — long enough to be cut by a kill.
  const sims = [];
  for (let i = 0; i < 2; i++) sims.push(await rig.sim(['--speed', '0.02', '--max-num-seqs', '1100']));
  for (let i = 0; i < 2; i++) {
    // On a loaded machine a first token can take longer than the default 30 s: no first-token timeout and a long
    // queue, so every stream is answered (this scenario is about the relays).
    await rig.bridge(
      nats.url,
      sims.map((sim) => sim.url),
      {
        args: ['--max-in-flight', '1100', '--ttft-timeout-ms', '0', '--max-queue-ms', '600000'],
      },
    );
  }
  relays = await Promise.all([relay(), relay()]);
});

/** Opens `count` tabs, alternately on each relay of `up` (which the test edits when a relay dies). */
async function openTabs(count: number, prefix: string, up: () => string[]): Promise<StreamFollower[]> {
  return inBatches(
    Array.from({ length: count }, (_, i) => i),
    50,
    (i) =>
      StreamFollower.open({
        urls: () => (i % 2 === 0 ? up() : [...up()].reverse()),
        token: () => hs256Token(`${prefix}-${i}`),
      }),
  );
}

function summarize(answers: FollowedAnswer[], tabs: StreamFollower[]) {
  const latencies = answers.flatMap((a) => a.resumeLatenciesMs);
  const reconnects = tabs.flatMap((tab) => tab.reconnectMs);
  return {
    reconnectP99: quantile(reconnects, 0.99),
    resumed: answers.filter((a) => a.resumeLatenciesMs.length > 0).length,
    gaps: answers.reduce((n, a) => n + a.gaps, 0),
    duplicates: answers.reduce((n, a) => n + a.duplicates, 0),
    tokens: answers.reduce((n, a) => n + a.lastSeq, 0),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
  };
}

describe('chaos: relays', () => {
  it(`SIGKILL one relay of two during ${STREAMS} concurrent streams: 0 lost, 0 duplicated, resume p99`, async (t) => {
    let up = relays.map((r) => r.wsUrl);
    const tabs = await openTabs(STREAMS, 'kill', () => up);
    const conversations = tabs.map(() => newId('c_'));
    const onVictim = tabs.filter((tab) => tab.connection.ws.url.startsWith(relays[0]!.wsUrl)).length;
    const answers = tabs.map((tab, i) => tab.chat(conversations[i]!, `Question ${i}: why do relays fail?`, 40));
    // Kill when a quarter of the streams have tokens: most are mid-answer then.
    const started = () => tabs.filter((tab) => tab.connection.frames.some((f) => f.type === 'token')).length;
    const deadline = Date.now() + 120_000;
    while (started() < STREAMS / 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const atKill = started();
    up = [relays[1]!.wsUrl];
    await relays[0]!.kill();

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
    const s = summarize(done, tabs);
    t.diagnostic(
      `${STREAMS} streams (${onVictim} on the killed relay, ${atKill} had tokens at the kill); ${s.resumed} resumed ` +
        `on the survivor; ${s.tokens} batches seqs delivered; holes resumed on the socket ${s.gaps}, duplicated ${s.duplicates}; ` +
        `resume latency (loss of the relay to the stream's next frame) p50 ${s.p50.toFixed(0)} ms, ` +
        `p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; reconnect p99 ${s.reconnectP99.toFixed(0)} ms`,
    );
    assert.ok(s.resumed > 0, 'some answers were cut by the kill and resumed');
    // A hole on the wire is resumed on the socket by the tab (as the client does); nothing is lost when every
    // answer ended whole (chat() rejects otherwise) and equals the stored one (below).
    assert.equal(s.duplicates, 0, 'no batch delivered twice');
    assertEndedNormally(done);
    await expectStoredAnswers(tabs, conversations, done);
    await inBatches(tabs, 100, (tab) => tab.close());
  });

  it('SIGTERM drain during streaming: 0 lost, 0 errors shown, exit 0', async (t) => {
    // The killed relay's place is taken by a new one; the other is drained.
    relays[0] = await relay();
    let up = relays.map((r) => r.wsUrl);
    const count = Math.min(STREAMS, 200);
    const tabs = await openTabs(count, 'drain', () => up);
    const conversations = tabs.map(() => newId('c_'));
    const answers = tabs.map((tab, i) => tab.chat(conversations[i]!, `Question ${i}: what is a drain?`, 120));
    const started = () => tabs.filter((tab) => tab.connection.frames.some((f) => f.type === 'token')).length;
    while (started() < count / 2) await new Promise((r) => setTimeout(r, 50));
    const drained = relays[1]!;
    up = [relays[0]!.wsUrl];
    const exitCode = await drained.stop(60_000);

    const done = await Promise.all(answers);
    const s = summarize(done, tabs);
    const errors = tabs.flatMap((tab) => tab.errors);
    const moved = tabs.filter((tab) => tab.reconnects > 0).length;
    t.diagnostic(
      `${count} streams; ${moved} tabs moved by the drain, ${s.resumed} mid-answer; holes resumed ${s.gaps}, duplicated ` +
        `${s.duplicates}; error frames ${errors.length}; close codes ${[...new Set(tabs.flatMap((x) => x.closeCodes))].join(',') || 'none'}; ` +
        `go-away to the stream's next frame (the relay's jittered hint included) p50 ${s.p50.toFixed(0)} ms, ` +
        `p99 ${s.p99.toFixed(0)} ms; reconnect p99 ${s.reconnectP99.toFixed(0)} ms`,
    );
    assert.equal(exitCode, 0, 'the drained relay exited 0');
    assert.ok(moved > 0, 'tabs were moved');
    assert.equal(s.duplicates, 0, 'no batch delivered twice');
    assert.deepEqual(
      errors.map((e) => `${e.code}: ${e.message}`),
      [],
      'no error shown to any tab',
    );
    assertEndedNormally(done);
    await expectStoredAnswers(tabs, conversations, done);
    await inBatches(tabs, 100, (tab) => tab.close());
  });
});

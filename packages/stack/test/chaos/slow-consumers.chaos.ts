/**
 * Chaos: a client stops reading. Real processes: nats-server (JetStream), redis-server, a vLLM simulator, one
 * llc-bridge, one llc-relay (`--send-high-water 64 KiB`, `--send-hard-limit 4 MiB`). The documented treatment
 * (README "Running at scale" → Slow clients):
 *
 * - above the high-water mark the relay stops writing to that socket and coalesces a stream's pending batches
 *   into one frame (`firstSeq..seq`), never dropping any: when the reader catches up its answer is whole;
 * - past the hard limit the socket is closed with 4008 (slow consumer); the client resumes from its last seq on
 *   a new socket and gets the rest exactly;
 * - meanwhile other tabs on the same relay stream normally: complete, exact, never closed, no error.
 *
 * A socket's kernel buffers take megabytes before the relay's own buffer grows, so the stalled tab also asks for
 * a long history (pages of ~330 KB) while it does not read.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CloseCode, newId } from '@locallightchat/protocol';
import { RedisStore } from '@locallightchat/relay';
import {
  hs256Token,
  startBridgeProcess,
  startNats,
  startRedis,
  startRelayProcess,
  startSimProcess,
  type RelayProcess,
  type RunningServer,
  type StartedProcess,
} from '@locallightchat/test-support';
import {
  expectStoredAnswers,
  inBatches,
  StreamFollower,
  waitUntil,
  type FollowedAnswer,
} from '@locallightchat/test-support/follower';

const METRICS_TOKEN = 'chaos-metrics';
const SLOW_USER = 'slow-reader';
const OTHERS = 10;
let nats: RunningServer;
let redis: RunningServer;
let relay: RelayProcess;
let historyConversation: string;
const processes: StartedProcess[] = [];

before(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const sim = await startSimProcess({ args: ['--speed', '0.05'] });
  processes.push(sim);
  processes.push(await startBridgeProcess(nats.url, [sim.url]));
  relay = await startRelayProcess(nats.url, redis.url, {
    args: [
      '--send-high-water',
      String(64 * 1024),
      '--send-hard-limit',
      String(4 * 1024 * 1024),
      '--metrics-token',
      METRICS_TOKEN,
    ],
  });
  processes.push(relay);
  // A long history of the slow user's (50 messages of 30,000 characters).
  const store = await RedisStore.connect({ url: redis.url });
  historyConversation = newId('c_');
  await store.claimConversation(historyConversation, SLOW_USER);
  for (let i = 0; i < 50; i++) {
    await store.appendMessage(historyConversation, {
      id: `m${i}`,
      role: 'user',
      text: `${i} `.padEnd(30_000, 'x'),
      createdAt: i,
    });
  }
  await store.close();
});

after(async () => {
  for (const p of processes.reverse()) await p.stop(15_000).catch(() => p.kill());
  await Promise.all([nats?.stop(), redis?.stop()]);
});

async function metric(name: string): Promise<number> {
  const res = await fetch(`${relay.httpUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 0);
}

const socketOf = (tab: StreamFollower) => (tab.connection.ws as unknown as { _socket: Socket })._socket;
const askHistory = (tab: StreamFollower) =>
  tab.connection.send({ type: 'history', conversationId: historyConversation, limit: 50 });

describe('chaos: slow consumers', () => {
  it('a stalled reader is coalesced, then closed with 4008 and resumes exactly; other tabs unaffected', async (t) => {
    const others = await inBatches(
      Array.from({ length: OTHERS }, (_, i) => i),
      10,
      (i) => StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token(`reader-${i}`) }),
    );
    const otherConversations = others.map(() => newId('c_'));
    let phasesDone = false;
    const otherAnswers: FollowedAnswer[][] = others.map(() => []);
    // The other tabs keep chatting through both phases.
    const chatting = others.map(async (tab, i) => {
      for (let n = 0; !phasesDone || n === 0; n++) {
        otherAnswers[i]!.push(await tab.chat(otherConversations[i]!, `Question ${n}: what is backpressure?`, 120));
      }
    });

    const slow = await StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token(SLOW_USER) });
    const slowConversation = newId('c_');
    const firstToken = () => slow.connection.frames.some((f) => f.type === 'token');

    // Phase 1: the reader stalls just past the high-water mark, for a while, then reads again.
    const backpressure0 = await metric('llc_relay_backpressure_events_total');
    const coalesced0 = await metric('llc_relay_coalesced_frames_total');
    const phase1 = slow.chat(slowConversation, 'Tell me about tides.', 1500);
    await waitUntil('the first batch', firstToken);
    socketOf(slow).pause();
    for (let pages = 0; (await metric('llc_relay_backpressure_events_total')) === backpressure0; pages++) {
      // A page is trimmed to a quarter of the hard limit (~1 MiB by the relay's estimate, ~330 KB on the wire).
      assert.ok(pages < 60, 'the relay saw backpressure within 60 history pages');
      askHistory(slow);
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const coalescedWhileStalled = (await metric('llc_relay_coalesced_frames_total')) - coalesced0;
    socketOf(slow).resume();
    const first = await phase1;
    assert.equal(slow.reconnects, 0, 'phase 1: below the hard limit the socket stays open');
    assert.ok(coalescedWhileStalled > 0, 'batches were coalesced while the reader stalled');

    // Phase 2: the reader stops for good; past the hard limit it is closed with 4008, and resumes.
    const closes0 = await metric('llc_relay_slow_consumer_closes_total');
    const phase2 = slow.chat(slowConversation, 'Tell me about tides again.', 1500);
    const mark = slow.connection.frames.length;
    await waitUntil('the first batch', () => slow.connection.frames.slice(mark).some((f) => f.type === 'token'));
    const stalled = slow.connection;
    socketOf(slow).pause();
    for (let i = 0; i < 80; i++) askHistory(slow);
    await waitUntil(
      'the slow-consumer close',
      async () => (await metric('llc_relay_slow_consumer_closes_total')) > closes0,
    );
    socketOf(slow).resume();
    const second = await phase2;
    phasesDone = true;
    await Promise.all(chatting);

    assert.equal(stalled.closeCode, CloseCode.SlowConsumer, 'closed with 4008');
    assert.ok(second.resumeLatenciesMs.length >= 1, 'the answer was resumed on a new socket');
    for (const a of [first, second]) {
      assert.equal(a.gaps + a.duplicates, 0, 'each batch once, in order');
      assert.notEqual(a.end.finishReason, 'error');
    }
    const all = otherAnswers.flat();
    t.diagnostic(
      `phase 1: ${coalescedWhileStalled} frames coalesced by the relay while stalled, the tab saw ` +
        `${first.coalescedBatches} multi-seq batches, ${first.lastSeq} seqs, socket kept; phase 2: close ` +
        `${stalled.closeCode}, resumed to seq ${second.lastSeq}; others: ${all.length} answers, ` +
        `${others.reduce((n, x) => n + x.reconnects, 0)} reconnects, ${others.reduce((n, x) => n + x.errors.length, 0)} errors`,
    );
    for (const tab of others) {
      assert.equal(tab.reconnects, 0, 'other tabs were never closed');
      assert.deepEqual(tab.errors, [], 'no error shown to other tabs');
    }
    for (const a of all) assert.equal(a.gaps + a.duplicates, 0, 'other tabs: each batch once');
    // Every answer equals the stored one (the slow tab's two, and every turn of the others).
    await expectStoredAnswers(
      [slow, ...others],
      [slowConversation, ...otherConversations],
      [[first, second], ...otherAnswers],
    );
    await Promise.all([slow.close(), inBatches(others, 10, (tab) => tab.close())]);
  });
});

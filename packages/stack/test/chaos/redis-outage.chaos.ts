/**
 * Chaos: Redis stops for 30 s. Real processes: nats-server (JetStream), redis-server with an append-only file (as
 * production runs it), a vLLM simulator, one llc-bridge, one llc-relay. The relay's documented fail mode
 * (README "Running at scale" → Outages, "Security" → limits):
 *
 * - answers already streaming continue and end whole (tokens travel over NATS, not Redis), and an answer that
 *   ends during the outage is stored once Redis is back;
 * - `/readyz` answers 503; a new message is refused with a retryable error (`retryAfterMs`), the socket stays open
 *   and the client's retry is answered after the outage;
 * - the shared (store-backed) rate buckets let traffic through — a new connection is accepted — while the
 *   per-connection limits still hold (a frame flood gets `too-many-frames`);
 * - everything heals by itself when Redis returns.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { newId, PROTOCOL_VERSION } from '@locallightchat/protocol';
import { hs256Token, type RelayProcess, type RunningServer } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';
import {
  expectStoredAnswers,
  inBatches,
  StreamFollower,
  waitUntil,
  type FollowedAnswer,
} from '@locallightchat/test-support/follower';
import { chaosRig } from './rig.js';

const OUTAGE_MS = Number(process.env.LLC_CHAOS_REDIS_OUTAGE_MS ?? 30_000);
const TABS = 20;
const rig = chaosRig();
let redis: RunningServer;
let relay: RelayProcess;

before(async () => {
  let nats: RunningServer;
  [nats, redis] = await Promise.all([rig.nats(), rig.redis({ appendOnly: true })]);
  // Slow answers (a step of ~100 ms): the longest stream past the whole outage, the shortest end inside it.
  const sim = await rig.sim(['--speed', '0.01']);
  await rig.bridge(nats.url, [sim.url]);
  relay = await rig.relay(nats.url, redis.url);
});

const readyz = async () => (await fetch(`${relay.httpUrl}/readyz`)).status;

describe('chaos: Redis stopped', () => {
  it(`for ${OUTAGE_MS / 1000} s: streaming continues, limits per their fail mode, self-heals`, async (t) => {
    const tabs = await inBatches(
      Array.from({ length: TABS }, (_, i) => i),
      10,
      (i) => StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token(`redis-${i}`) }),
    );
    const conversations = tabs.map(() => newId('c_'));
    const endedAt: number[] = [];
    const answers = tabs.map((tab, i) =>
      tab.chat(conversations[i]!, `Question ${i}: what is a write-ahead log?`, 400).then((a) => {
        endedAt[i] = Date.now();
        return a;
      }),
    );
    await waitUntil('every stream to have tokens', () =>
      tabs.every((tab) => tab.connection.frames.some((f) => f.type === 'token')),
    );

    const stoppedAt = Date.now();
    await redis.halt();
    await waitUntil('readyz 503', async () => (await readyz()) === 503, 20_000);

    // A new message while the store is down: refused, retryably; the socket stays open.
    const writer = await ProtocolClient.connect(relay.wsUrl, hs256Token('redis-writer'));
    const clientMessageId = newId('cm_');
    const writerConversation = newId('c_');
    writer.send({ type: 'send', clientMessageId, conversationId: writerConversation, text: 'Hello?', maxTokens: 20 });
    const refused = await writer.next('error');
    assert.equal(refused.ref, clientMessageId);
    assert.ok((refused.retryAfterMs ?? 0) > 0, `refused retryably (${refused.code}: ${refused.message})`);
    assert.ok(writer.isOpen, 'the socket stays open');

    // Shared buckets let traffic through: a new connection is accepted (its rate bucket is in Redis).
    const newcomer = await ProtocolClient.open(relay.wsUrl);
    newcomer.send({ type: 'hello', v: PROTOCOL_VERSION, token: hs256Token('redis-newcomer'), client: 'chaos' });
    const hello = await newcomer.until((fs) => fs.find((f) => f.type === 'welcome' || f.type === 'error'), 'welcome');
    assert.equal(hello.type, 'welcome', 'a connection is accepted while Redis is down');
    // Per-connection limits still hold: a flood of frames beyond the burst is refused.
    for (let i = 0; i < 3000; i++) newcomer.send({ type: 'ping', ts: i });
    const flood = await newcomer.until((fs) => fs.find((f) => f.type === 'error'), 'too-many-frames');
    assert.equal(flood.type === 'error' && flood.code, 'too-many-frames');

    const left = OUTAGE_MS - (Date.now() - stoppedAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const runningAtRestart = tabs.filter((_, i) => endedAt[i] === undefined).length;
    const endedInOutage = endedAt.filter((x) => x !== undefined && x >= stoppedAt).length;
    await redis.restart();
    const restartedAt = Date.now();
    await waitUntil('readyz 200 after Redis returns', async () => (await readyz()) === 200, 60_000);
    const healMs = Date.now() - restartedAt;

    // The client's retry of the refused message is answered.
    const from = writer.frames.length;
    writer.send({ type: 'send', clientMessageId, conversationId: writerConversation, text: 'Hello?', maxTokens: 20 });
    const ack = await writer.next('ack', from, 30_000);
    const retried = await writer.streamText(ack.streamId, 60_000);
    assert.ok(retried.text.length > 0, 'the retried message is answered');

    const done: FollowedAnswer[] = await Promise.all(answers);
    t.diagnostic(
      `outage ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s; ${TABS} streams: ${endedInOutage} ended during ` +
        `the outage, ${runningAtRestart} still running at the restart; holes resumed ` +
        `${done.reduce((n, a) => n + a.gaps, 0)}; duplicated ${done.reduce((n, a) => n + a.duplicates, 0)}; ` +
        `send refused with ${refused.code} (retry after ${refused.retryAfterMs} ms); ready again ${healMs} ms ` +
        `after the restart`,
    );
    assert.ok(endedInOutage > 0 || runningAtRestart > 0, 'streams were running during the outage');
    for (const a of done) {
      assert.equal(a.duplicates, 0);
      assert.notEqual(a.end.finishReason, 'error', `${a.streamId} ended normally`);
    }
    // Every answer is stored, those that ended while Redis was down included.
    await expectStoredAnswers(tabs, conversations, done);
    await Promise.all([writer.close(), newcomer.close(), inBatches(tabs, 20, (tab) => tab.close())]);
  });
});

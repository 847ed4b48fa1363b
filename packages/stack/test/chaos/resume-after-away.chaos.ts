/**
 * Chaos: a tab comes back after a long time away. Real processes: two nats-servers (JetStream), one redis-server,
 * a vLLM simulator, and two "clusters" on them — each a llc-bridge and two llc-relay processes:
 *
 * - default retention (`--nats-event-retention-ms`, 15 min): a tab reads the first batches of an answer, goes
 *   away for 10 minutes of wall time (LLC_CHAOS_AWAY_MS), comes back on the other relay and resumes from its
 *   last seq: the rest arrives exactly (prefix + rest = the stored answer), served from JetStream.
 * - a short retention (5 s): past it the resume gets an explicit `resume-unavailable` (never a silent gap, never
 *   a hole), and the history has the whole answer for the reload. Also when only the start of the answer expired
 *   (the answer streamed longer than the window), which once came back as a batch after a hole.
 *
 * The 10-minute wait runs beside the other chaos files (scripts/test.mjs starts this file first).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { newId, type ServerFrame } from '@locallightchat/protocol';
import { hs256Token, type RelayProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { chaosRig } from './rig.js';

const AWAY_MS = Number(process.env.LLC_CHAOS_AWAY_MS ?? 10 * 60_000);
const SHORT_RETENTION_MS = 5000;
const rig = chaosRig();
let long: RelayProcess[];
let short: RelayProcess[];

before(async () => {
  const [natsLong, natsShort, redis] = await Promise.all([rig.nats(), rig.nats(), rig.redis()]);
  // A step of ~50 ms: the partial-expiry answer streams for longer than the short window.
  const sim = await rig.sim(['--speed', '0.02']);
  const retention = ['--nats-event-retention-ms', String(SHORT_RETENTION_MS)];
  await rig.bridge(natsLong.url, [sim.url]);
  await rig.bridge(natsShort.url, [sim.url], { args: retention });
  // One at a time (the rig keeps each as soon as it runs, so a failed start leaves nothing behind).
  long = [];
  short = [];
  for (const [list, nats, args] of [
    [long, natsLong, []],
    [long, natsLong, []],
    [short, natsShort, retention],
    [short, natsShort, retention],
  ] as const) {
    list.push(await rig.relay(nats.url, redis.url, { args: [...args] }));
  }
});

type Token = Extract<ServerFrame, { type: 'token' }>;

/** Sends a message, reads batches until `keep` of them arrived, and leaves (closes the socket). */
async function readSomeAndLeave(relay: RelayProcess, user: string, keep: number, maxTokens: number) {
  const tab = await ProtocolClient.connect(relay.wsUrl, hs256Token(user));
  const conversationId = newId('c_');
  tab.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Tell me about tides.', maxTokens });
  const { streamId } = await tab.next('ack');
  const tokens = await tab.until((fs) => {
    const mine = fs.filter((f): f is Token => f.type === 'token' && f.streamId === streamId);
    return mine.length >= keep && mine;
  }, `${keep} batches`);
  await tab.close();
  let lastSeq = 0;
  let text = '';
  for (const t of tokens) {
    assert.equal(t.firstSeq ?? t.seq, lastSeq + 1, 'in order before leaving');
    text += t.text;
    lastSeq = t.seq;
  }
  return { conversationId, streamId, lastSeq, text };
}

/** The stored answer of a conversation once it is there. */
async function storedAnswer(tab: ProtocolClient, conversationId: string): Promise<string> {
  for (let i = 0; ; i++) {
    const from = tab.frames.length;
    tab.send({ type: 'history', conversationId, limit: 10 });
    const page = await tab.next('history-page', from, 30_000);
    const answer = page.messages.find((m) => m.role === 'assistant');
    if (answer) return answer.text;
    if (i > 300) throw new Error(`no stored answer in ${conversationId}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('chaos: resume after time away', () => {
  it(`after ${AWAY_MS / 60_000} minutes away (within the retention): the rest, exactly`, async (t) => {
    const left = await readSomeAndLeave(long[0]!, 'away-long', 2, 200);
    const leftAt = Date.now();
    await new Promise((r) => setTimeout(r, AWAY_MS));
    const tab = await ProtocolClient.connect(long[1]!.wsUrl, hs256Token('away-long'));
    const resumedAt = performance.now();
    tab.send({
      type: 'resume',
      conversationId: left.conversationId,
      streamId: left.streamId,
      fromSeq: left.lastSeq + 1,
    });
    const rest = await tab.streamText(left.streamId, 60_000, left.lastSeq + 1);
    const ms = performance.now() - resumedAt;
    assert.ok(!tab.frames.some((f) => f.type === 'error'), 'no error');
    const stored = await storedAnswer(tab, left.conversationId);
    t.diagnostic(
      `away ${((Date.now() - leftAt) / 60_000).toFixed(1)} min after seq ${left.lastSeq}; resumed on the other relay: ` +
        `seqs ${left.lastSeq + 1}..${rest.end.lastSeq} in ${ms.toFixed(0)} ms; ${stored.length} characters equal the stored answer`,
    );
    assert.ok(rest.end.lastSeq > left.lastSeq, 'there was more to resume');
    assert.equal(left.text + rest.text, stored, 'prefix + resumed rest = the stored answer');
    await tab.close();
  });

  it('past the retention: an explicit resume-unavailable and a history reload, never a gap', async (t) => {
    const left = await readSomeAndLeave(short[0]!, 'away-short', 2, 60);
    const tab = await ProtocolClient.connect(short[1]!.wsUrl, hs256Token('away-short'));
    const stored = await storedAnswer(tab, left.conversationId);
    // JetStream drops expired messages on its own timer: wait well past the window.
    await new Promise((r) => setTimeout(r, SHORT_RETENTION_MS + 10_000));
    const from = tab.frames.length;
    tab.send({
      type: 'resume',
      conversationId: left.conversationId,
      streamId: left.streamId,
      fromSeq: left.lastSeq + 1,
    });
    const refusal = await tab.next('error', from, 30_000);
    assert.equal(refusal.code, 'resume-unavailable');
    assert.equal(refusal.ref, left.streamId);
    assert.ok(
      !tab.frames.slice(from).some((f) => f.type === 'token'),
      'no batch after the hole: the tab must reload, not splice',
    );
    assert.ok(stored.startsWith(left.text), 'the history holds the whole answer, the part read included');
    t.diagnostic(
      `after ${SHORT_RETENTION_MS + 10_000} ms with a ${SHORT_RETENTION_MS} ms window: ${refusal.code}; history reload ${stored.length} characters`,
    );
    await tab.close();
  });

  it('only the start expired (an answer longer than the window): resume-unavailable, not a batch after a hole', async (t) => {
    // This prompt's seeded answer is long enough to stream for longer than the short window.
    const left = await readSomeAndLeave(short[0]!, 'away-partial', 1, 1500);
    const tab = await ProtocolClient.connect(short[1]!.wsUrl, hs256Token('away-partial'));
    const stored = await storedAnswer(tab, left.conversationId);
    const from = tab.frames.length;
    tab.send({
      type: 'resume',
      conversationId: left.conversationId,
      streamId: left.streamId,
      fromSeq: left.lastSeq + 1,
    });
    const reply = await tab.until(
      (fs) => fs.slice(from).find((f) => (f.type === 'token' && f.streamId === left.streamId) || f.type === 'error'),
      'the resume',
      30_000,
    );
    t.diagnostic(
      `answer of ${stored.length} characters; resume from seq ${left.lastSeq + 1} got ${reply.type === 'error' ? reply.code : `a batch ${reply.type === 'token' ? `${reply.firstSeq ?? reply.seq}..${reply.seq}` : ''}`}`,
    );
    if (reply.type === 'token') {
      // Still retained from the seq asked for: it must then be the next batch, never one after a hole.
      assert.equal(reply.firstSeq ?? reply.seq, left.lastSeq + 1, 'no hole');
    } else {
      assert.equal(reply.type === 'error' && reply.code, 'resume-unavailable');
    }
    await tab.close();
  });
});

/**
 * A resume owed more than the socket's send bound (connection/paced-replay.ts): written at the socket's pace it
 * arrives whole. Queued at once it closed the socket as a slow consumer (4008), and every resume after that
 * closed it again (bench/stream/run-slow.mjs --hard-limit 1048576: 0 of 5 slow readers complete, 335 closes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, type ServerFrame } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack } from '@locallightchat/test-support/stack';

const HIGH_WATER = 16 * 1024;
const HARD_LIMIT = 64 * 1024;
const BATCHES = 64;
const BATCH_TEXT = 'z'.repeat(8 * 1024);

describe('relay: a resume larger than the send bound', () => {
  it('arrives whole and in order at the socket’s pace, without closing it', async (t) => {
    const stack = await startTestStack({ relay: { sendHighWaterBytes: HIGH_WATER, sendHardLimitBytes: HARD_LIMIT } });
    t.after(() => stack.close());
    const broker = stack.stack.broker;
    const token = await stack.token('pacer');
    const conversationId = newId('c_');
    const streamId = newId('s_');
    // A tab opens the conversation and sees the answer start, then leaves; the relay keeps following the
    // running stream, whose batches (8× the send bound in all) it holds for resumes.
    const first = await ProtocolClient.connect(stack.wsUrl, token);
    first.send({ type: 'subscribe', conversationId });
    await first.next('subscribed');
    await broker.publish(conversationId, {
      type: 'stream-start',
      streamId,
      conversationId,
      replyTo: 'm',
      model: 'test',
      createdAt: Date.now(),
    });
    await first.until((fs) => fs.some((f) => f.type === 'stream-start'), 'stream-start');
    await first.close();
    for (let seq = 1; seq <= BATCHES; seq++)
      await broker.publish(conversationId, { type: 'token', streamId, seq, text: BATCH_TEXT });

    const tab = await ProtocolClient.connect(stack.wsUrl, token);
    tab.send({ type: 'subscribe', conversationId });
    await tab.next('subscribed');
    tab.send({ type: 'resume', conversationId, streamId, fromSeq: 1 });
    await broker.publish(conversationId, {
      type: 'stream-end',
      streamId,
      conversationId,
      lastSeq: BATCHES,
      finishReason: 'stop',
    });
    await tab.until((fs) => fs.some((f) => f.type === 'stream-end' && f.streamId === streamId), 'stream-end', 10_000);
    assert.ok(tab.isOpen, `the socket stays open (closed ${String(tab.closeCode)})`);
    const tokens = tab.frames.filter(
      (f): f is Extract<ServerFrame, { type: 'token' }> => f.type === 'token' && f.streamId === streamId,
    );
    let last = 0;
    let text = '';
    for (const f of tokens) {
      assert.equal(f.firstSeq ?? f.seq, last + 1, 'each batch once, in order');
      last = f.seq;
      text += f.text;
    }
    assert.equal(last, BATCHES);
    assert.equal(text, BATCH_TEXT.repeat(BATCHES));
    assert.ok(tokens.length > 1, 'written in several frames, each within the bound');
    await tab.close();
  });
});

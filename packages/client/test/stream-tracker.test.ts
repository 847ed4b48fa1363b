/**
 * StreamTracker: the client's reaction to protocol's seq rule (append the next batch, drop old ones, one resume
 * per gap until it catches up), resumes for a new connection, and the latency figures of a finished answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientFrame, TokenFrame } from '@locallightchat/protocol';
import { StreamTracker } from '@locallightchat/client/internal';

const token = (seq: number, firstSeq?: number): TokenFrame => ({
  type: 'token',
  streamId: 's1',
  seq,
  text: 'x',
  ...(firstSeq !== undefined ? { firstSeq } : {}),
});

function tracker() {
  const sent: ClientFrame[] = [];
  const t = new StreamTracker((f) => sent.push(f));
  t.track('s1', 'c1');
  return { t, sent };
}

describe('StreamTracker', () => {
  it('accepts the next batch, drops old ones, and asks once for what a gap misses', () => {
    const { t, sent } = tracker();
    assert.equal(t.accept(token(1), 0), true, 'the first batch');
    assert.equal(t.accept(token(1), 1), false, 'a duplicate');
    assert.equal(t.accept(token(3), 1), false, 'a gap');
    assert.equal(t.resumePending('s1'), true);
    assert.equal(t.accept(token(4), 1), false, 'still the gap');
    assert.deepEqual(sent, [{ type: 'resume', conversationId: 'c1', streamId: 's1', fromSeq: 2 }], 'one resume');
    assert.equal(t.accept(token(3, 1), 1), false, 'a coalesced replay that overlaps in part waits for the resume');
    assert.equal(t.accept(token(3, 2), 1), true, 'the resume catches up (2–3 coalesced)');
    assert.equal(t.resumePending('s1'), false);
    assert.equal(t.accept(token(5), 3), false, 'a new gap…');
    assert.equal(sent.length, 2, '…asks again');
  });

  it('ignores batches of streams it does not track', () => {
    const sent: ClientFrame[] = [];
    const t = new StreamTracker((f) => sent.push(f));
    assert.equal(t.accept(token(5), 0), false);
    assert.deepEqual(sent, []);
    assert.equal(
      t.end({ type: 'stream-end', streamId: 's1', conversationId: 'c1', lastSeq: 0, finishReason: 'stop' }),
      undefined,
    );
  });

  it('resumes the live answers on a new connection, from each one’s last seq + 1', () => {
    const { t } = tracker();
    t.track('s2', 'c1');
    const frames = t.resyncFrames((_c, streamId) => (streamId === 's1' ? 7 : undefined));
    assert.deepEqual(frames, [{ type: 'resume', conversationId: 'c1', streamId: 's1', fromSeq: 8 }]);
    assert.equal(t.resumePending('s1'), true);
    assert.equal(t.resumePending('s2'), false, 'not live: not resumed');
  });

  it('measures a finished answer and stops tracking it', () => {
    const { t } = tracker();
    t.sentAt('s1', Date.now() - 50);
    t.sentAt('s1', Date.now() + 1_000_000);
    t.accept(token(1), 0);
    t.accept(token(2), 1);
    const metrics = t.end({
      type: 'stream-end',
      streamId: 's1',
      conversationId: 'c1',
      lastSeq: 2,
      finishReason: 'stop',
      usage: { promptTokens: 4, completionTokens: 9 },
    });
    assert.ok(metrics);
    assert.equal(metrics.batches, 2);
    assert.equal(metrics.completionTokens, 9);
    assert.ok(
      metrics.ttftMs !== undefined && metrics.ttftMs > 40 && metrics.ttftMs < 1000,
      'from the first send recorded',
    );
    assert.ok(metrics.tpotMs !== undefined && metrics.tpotMs >= 0);
    assert.equal(t.conversationOf('s1'), undefined, 'no longer tracked');
  });
});

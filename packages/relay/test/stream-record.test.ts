/**
 * The resume ring keeps token batches as their encoded bytes (batch-log.ts): what it gives back — for a resume,
 * for the persisted answer — must equal what it was given, across eviction, growth and compaction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, viewTokenFrame, type TokenFrame, type TokenFrameView } from '@locallightchat/protocol';
import { BatchLog, StreamRecord } from '@locallightchat/relay/internal';

const batch = (seq: number, text = `t${seq} `): TokenFrame => ({ type: 'token', streamId: 's1', seq, text });

describe('stream record (the resume ring)', () => {
  it('serves resumes with the bytes it received, and the whole text once the stream ended', () => {
    const record = new StreamRecord('s1', 100);
    record.add({ type: 'stream-start', streamId: 's1', conversationId: 'c', replyTo: 'm', model: 'x', createdAt: 1 });
    for (let seq = 1; seq <= 5; seq++) {
      const bytes = encodeFrame(batch(seq));
      // Live batches arrive as views over the broker's bytes; the ring copies them.
      assert.equal(record.add(viewTokenFrame(Uint8Array.from(bytes))!, bytes), true);
    }
    assert.equal(record.add(batch(3)), false, 'a duplicate is refused');
    const from3 = record.from(3).filter((e): e is TokenFrame => e.type === 'token');
    assert.deepEqual(
      from3.map((e) => [e.seq, e.text]),
      [
        [3, 't3 '],
        [4, 't4 '],
        [5, 't5 '],
      ],
    );
    for (const e of from3) assert.deepEqual([...(e as TokenFrameView).bytes], [...encodeFrame(batch(e.seq))]);
    record.add({ type: 'stream-end', streamId: 's1', conversationId: 'c', lastSeq: 5, finishReason: 'stop' });
    assert.deepEqual(record.completeText(), { text: 't1 t2 t3 t4 t5 ', reasoning: '', toolCalls: [] });
  });

  it('evicts the oldest batches past its bound and then sends resumes below them to the broker', () => {
    const record = new StreamRecord('s1', 3);
    for (let seq = 1; seq <= 10; seq++) record.add(batch(seq));
    assert.equal(record.canServe(8), true);
    assert.equal(record.canServe(7), false);
    assert.deepEqual(
      record.from(8).map((e) => (e.type === 'token' ? e.seq : e.type)),
      [8, 9, 10],
    );
  });

  it('keeps every entry intact across growth and compaction of its buffer', () => {
    const log = new BatchLog();
    const bytesOf = (i: number) => Uint8Array.from({ length: 1 + (i % 37) }, (_, k) => (i + k) & 0xff);
    const views: [number, Uint8Array][] = [];
    let dropped = 0;
    for (let i = 0; i < 5000; i++) {
      log.append(i, bytesOf(i));
      if (i % 10 === 0) views.push([i, log.bytesAt(log.length - 1)]);
      if (log.length > 700) {
        assert.equal(log.dropOldest(), dropped);
        dropped++;
      }
    }
    assert.equal(log.length, 700);
    for (let i = 0; i < log.length; i++) {
      assert.equal(log.seqAt(i), dropped + i);
      assert.deepEqual(log.bytesAt(i), bytesOf(dropped + i));
    }
    log.trim();
    assert.deepEqual(log.bytesAt(699), bytesOf(4999));
    // Views handed out earlier still hold their bytes (buffers are replaced, never rewritten).
    for (const [i, view] of views) assert.deepEqual(view, bytesOf(i));
  });
});

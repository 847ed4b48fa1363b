/**
 * The replay pacer alone (connection/paced-replay.ts), with a fake outlet whose room the test sets: a replay
 * goes out only while there is room, compacted frame by frame, then the live events held meanwhile; a stream
 * resumed again drops what is left of its previous replay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEvent } from '@locallightchat/broker';
import type { TokenFrame } from '@locallightchat/protocol';
import { ReplayPacer, replayFrameChars } from '@locallightchat/relay/internal';

const batch = (streamId: string, seq: number, text = 'ab'): TokenFrame => ({
  type: 'token',
  streamId,
  seq,
  text,
});

function outlet(room: () => boolean) {
  const sent: string[] = [];
  return {
    sent,
    hasRoom: room,
    forward: (event: ConversationEvent) => {
      if (event.type === 'token') sent.push(`${event.streamId}:${event.firstSeq ?? event.seq}-${event.seq}`);
      else sent.push(event.type);
    },
  };
}

describe('replay pacer', () => {
  it('writes only while the socket has room, a compacted frame at a time, then the held live events', () => {
    let room = 0;
    const out = outlet(() => room-- > 0);
    // 2 characters a batch, frames of at most 4: two batches a frame.
    const pacer = new ReplayPacer(out, 4);
    const held: [ConversationEvent, Uint8Array][] = [[batch('s1', 7), new Uint8Array()]];
    let ended = 0;
    pacer.add(
      's1',
      [1, 2, 3, 4, 5, 6].map((seq) => batch('s1', seq)),
      () => (ended++, held),
    );
    assert.deepEqual(out.sent, [], 'no room, nothing written');
    room = 1;
    pacer.pump();
    assert.deepEqual(out.sent, ['s1:1-2']);
    room = 5;
    pacer.pump();
    assert.deepEqual(out.sent, ['s1:1-2', 's1:3-4', 's1:5-6', 's1:7-7']);
    assert.equal(ended, 1);
    assert.ok(pacer.idle);
  });

  it('drops the rest of a replay when its stream is resumed again, and goes on with the others', () => {
    let room = 0;
    const out = outlet(() => room-- > 0);
    const pacer = new ReplayPacer(out, 2);
    let oldEnded = false;
    pacer.add(
      's1',
      [1, 2, 3].map((seq) => batch('s1', seq)),
      () => ((oldEnded = true), []),
    );
    pacer.add('s2', [batch('s2', 1)], () => []);
    pacer.cancel('s1');
    pacer.add('s1', [batch('s1', 2), batch('s1', 3)], () => []);
    room = 10;
    pacer.pump();
    assert.deepEqual(out.sent, ['s2:1-1', 's1:2-2', 's1:3-3']);
    assert.equal(oldEnded, false, 'the dropped replay does not end the new one’s hold');
  });

  it('sizes frames so that one added at the high-water mark stays under the bound', () => {
    assert.equal(replayFrameChars(256 * 1024, 8 * 1024 * 1024, 1_000_000), 1_000_000);
    assert.equal(replayFrameChars(16 * 1024, 64 * 1024, 1_000_000), 8192);
    assert.equal(replayFrameChars(100, 101, 1_000_000), 1);
  });
});

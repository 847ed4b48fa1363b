/**
 * The token header reader agrees with the full decoder: whenever it reads a header, the full decode accepts the
 * frame with the same stream id, seq and firstSeq, and the view's text fields equal the decoded ones — on our
 * own frames, on every field of the token schema, and on mutated bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack } from 'msgpackr';
import {
  FRAME_KINDS,
  decodeServerFrame,
  encodeFrame,
  readTokenHeader,
  viewTokenFrame,
  type TokenFrame,
} from '../src/index.js';

const FRAMES: TokenFrame[] = [
  { type: 'token', streamId: 's1', seq: 1, text: 'hello' },
  { type: 'token', streamId: 'str_0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu', seq: 7, text: '' },
  { type: 'token', streamId: 's', seq: 300, text: 'é ✓ 😀', reasoning: 'why' },
  { type: 'token', streamId: 's', seq: 70_000, text: 'x'.repeat(70_000), firstSeq: 69_990 },
  { type: 'token', streamId: 's', seq: 2 ** 40, text: 'big', firstSeq: 2 ** 40 - 1 },
  { type: 'token', streamId: 's', seq: 12, text: 'a', reasoning: 'r'.repeat(300), firstSeq: 3 },
];

function agree(bytes: Uint8Array): 'read' | 'declined' {
  const header = readTokenHeader(bytes);
  if (!header) return 'declined';
  const full = decodeServerFrame(bytes);
  assert.ok(full.ok, `header read but the full decode refused ${Buffer.from(bytes).toString('hex')}`);
  assert.equal(full.frame.type, 'token');
  const frame = full.frame as TokenFrame;
  assert.deepEqual(header, { streamId: frame.streamId, seq: frame.seq, firstSeq: frame.firstSeq });
  return 'read';
}

describe('token header reader', () => {
  it('reads the header of every token frame we encode, and the view equals the full decode', () => {
    for (const frame of FRAMES) {
      const bytes = encodeFrame(frame);
      assert.equal(agree(bytes), 'read', JSON.stringify(frame).slice(0, 80));
      const view = viewTokenFrame(bytes)!;
      assert.deepEqual({ ...view.decoded() }, frame);
      assert.equal(view.text, frame.text);
      assert.equal(view.reasoning, frame.reasoning);
      assert.equal(view.firstSeq, frame.firstSeq);
      assert.equal(JSON.stringify(view), JSON.stringify(frame));
    }
  });

  it("exposes every field of the token schema (a field appended later needs the view's getter)", () => {
    const frame: Required<TokenFrame> = {
      type: 'token',
      streamId: 's',
      seq: 5,
      text: 't',
      reasoning: 'r',
      firstSeq: 4,
      tools: [{ index: 0, id: 'call_1', name: 'lookup', args: '{"q":1}', end: true }],
    };
    const view = viewTokenFrame(encodeFrame(frame))!;
    const decoded = view.decoded() as unknown as Record<string, unknown>;
    for (const key of Object.keys(decoded)) {
      assert.deepEqual((view as unknown as Record<string, unknown>)[key], decoded[key], `view.${key}`);
    }
  });

  it('reads each stream id right across the id cache (many ids, shared slots, repeats)', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10_000; i++) {
        const streamId = `s_${(i * 7919).toString(36)}`;
        assert.equal(readTokenHeader(encodeFrame({ type: 'token', streamId, seq: 1, text: '' }))?.streamId, streamId);
      }
    }
  });

  it('skips fields appended by a later protocol version', () => {
    const bytes = pack([FRAME_KINDS.token, 's', 3, 'x', null, null, null, [1, 'a', { k: [true, 2.5] }], 'tail']);
    assert.deepEqual(readTokenHeader(bytes), { streamId: 's', seq: 3, firstSeq: undefined });
    assert.equal(agree(bytes), 'read');
  });

  it('declines other frames and unusual encodings, leaving them to the full decoder', () => {
    const declined = [
      encodeFrame({ type: 'queued', streamId: 's', position: 1 }),
      encodeFrame({ type: 'stream-end', streamId: 's', conversationId: 'c', lastSeq: 1, finishReason: 'stop' }),
      pack([FRAME_KINDS.token, 'bad id!', 1, 'x']),
      pack([FRAME_KINDS.token, 's', -1, 'x']),
      pack([FRAME_KINDS.token, 's', 1.5, 'x']),
      pack([FRAME_KINDS.token, 's', 1, 42]),
      pack([FRAME_KINDS.token, 's', 1]),
      pack([FRAME_KINDS.token, 's', 1, 'x', 'r', 'not a seq']),
      encodeFrame({ type: 'token', streamId: 's', seq: 1, text: 'abc' }).subarray(0, 8),
      Uint8Array.of(...encodeFrame({ type: 'token', streamId: 's', seq: 1, text: 'abc' }), 0xff),
    ];
    for (const bytes of declined) assert.equal(agree(bytes), 'declined', Buffer.from(bytes).toString('hex'));
  });

  it('never reads a header the full decoder would refuse (mutated bytes)', () => {
    let a = 20261203;
    const random = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let read = 0;
    for (let round = 0; round < 20_000; round++) {
      const bytes = Uint8Array.from(encodeFrame(FRAMES[round % 3]!));
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      if (agree(cut) === 'read') read++;
    }
    assert.ok(read > 0, 'some mutated frames are still token frames');
  });
});

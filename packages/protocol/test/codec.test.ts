import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_FRAME_TYPES,
  DEFAULT_CLIENT_LIMITS,
  MAX_CONVERSATION_QUERY_CHARS,
  ProtocolError,
  decodeClientFrame,
  decodeClientFrameJson,
  decodeServerFrame,
  decodeServerFrameJson,
  encodeFrame,
  encodeFrameJson,
  frameToWire,
  isRetryable,
  type Frame,
} from '../src/index.js';
import { pack } from 'msgpackr';
import { SAMPLE_FRAMES } from './samples.js';

const isClientType = (t: string) => (CLIENT_FRAME_TYPES as readonly string[]).includes(t);

describe('codec round trip', () => {
  for (const frame of SAMPLE_FRAMES) {
    it(`${frame.type} survives msgpack and JSON encoding`, () => {
      const bytes = encodeFrame(frame);
      const viaServer = decodeServerFrame(bytes);
      const viaClient = decodeClientFrame(bytes);
      const result = isClientType(frame.type) && frame.type !== 'ping' && frame.type !== 'pong' ? viaClient : viaServer;
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      assert.deepEqual(result.frame, frame);
      const json = encodeFrameJson(frame);
      const fromJson = isClientType(frame.type) ? decodeClientFrameJson(json) : decodeServerFrameJson(json);
      assert.ok(fromJson.ok);
      assert.deepEqual(fromJson.frame, frame);
    });
  }

  it('keeps frames compact: a token batch costs little more than its text', () => {
    const bytes = encodeFrame({ type: 'token', streamId: 's_0123456789abcdefghij', seq: 1234, text: 'hello' });
    assert.ok(bytes.byteLength < 40, `token frame is ${bytes.byteLength} bytes`);
  });

  it('accepts ping and pong in both directions', () => {
    for (const f of [
      { type: 'ping', ts: 1 },
      { type: 'pong', ts: 2 },
    ] as Frame[]) {
      assert.ok(decodeClientFrame(encodeFrame(f)).ok);
      assert.ok(decodeServerFrame(encodeFrame(f)).ok);
    }
  });
});

describe('codec validation', () => {
  const bad = (value: unknown) => decodeClientFrame(pack(value));

  it('refuses server frames sent by a client and client frames sent by a server', () => {
    const ack = encodeFrame({
      type: 'ack',
      clientMessageId: 'a',
      conversationId: 'b',
      messageId: 'c',
      streamId: 'd',
      duplicate: false,
    });
    const r = decodeClientFrame(ack);
    assert.equal(r.ok, false);
    const send = encodeFrame({ type: 'send', clientMessageId: 'a', conversationId: 'b', text: 'x' });
    assert.equal(decodeServerFrame(send).ok, false);
  });

  const cases: [string, unknown][] = [
    ['a non-array', { type: 'send' }],
    ['an empty array', []],
    ['an unknown kind', [250, 'x']],
    ['a string kind', ['send', 'a']],
    ['a missing field', [3, 'cm_1', 'c_1']],
    ['a wrong field type', [3, 'cm_1', 'c_1', 42]],
    ['an id with a subject separator', [3, 'cm.1', 'c_1', 'hi']],
    ['an id with a wildcard', [4, 'c_>']],
    ['an empty id', [4, '']],
    ['an overlong id', [4, 'x'.repeat(65)]],
    ['a negative seq', [6, 'c_1', 's_1', -1]],
    ['a fractional seq', [6, 'c_1', 's_1', 1.5]],
    ['an unsafe integer', [6, 'c_1', 's_1', 2 ** 60]],
    ['a NaN temperature', [3, 'cm_1', 'c_1', 'hi', null, null, Number.NaN]],
    ['a temperature out of range', [3, 'cm_1', 'c_1', 'hi', null, null, 9]],
    ['too long a text', [3, 'cm_1', 'c_1', 'x'.repeat(DEFAULT_CLIENT_LIMITS.maxTextChars + 1)]],
    ['a history limit over the cap', [8, 'c_1', null, 10_000]],
  ];
  for (const [what, value] of cases) {
    it(`answers ${what} with a typed bad-frame error`, () => {
      const r = bad(value);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.ok(r.error instanceof ProtocolError);
        assert.equal(r.error.code, 'bad-frame');
        assert.ok(r.error.message.length > 0);
      }
    });
  }

  it('names the failing field in the error', () => {
    const r = bad([3, 'cm_1', 'c_1', 42]);
    assert.ok(!r.ok && /send\.text/.test(r.error.message), !r.ok ? r.error.message : '');
  });

  it('refuses a title search that is empty or longer than any title, naming the field', () => {
    for (const query of ['', 'x'.repeat(MAX_CONVERSATION_QUERY_CHARS + 1)]) {
      const r = bad([61, null, null, query]);
      assert.ok(!r.ok && r.error.code === 'bad-frame', `query of ${query.length}`);
      assert.match(r.error.message, /list-conversations.*query.*string\(1\.\.200\)/);
    }
    const r = decodeClientFrame(
      encodeFrame({ type: 'list-conversations', query: 'x'.repeat(MAX_CONVERSATION_QUERY_CHARS) }),
    );
    assert.ok(r.ok && r.frame.type === 'list-conversations' && r.frame.query?.length === MAX_CONVERSATION_QUERY_CHARS);
  });

  it('refuses an oversize frame before decoding it', () => {
    const r = decodeClientFrame(new Uint8Array(DEFAULT_CLIENT_LIMITS.maxFrameBytes + 1));
    assert.ok(!r.ok && r.error.code === 'frame-too-large');
  });

  it('honours tighter limits', () => {
    const limits = { maxFrameBytes: 1024, maxTextChars: 10 };
    const frame = encodeFrame({ type: 'send', clientMessageId: 'cm', conversationId: 'c', text: 'x'.repeat(11) });
    assert.equal(decodeClientFrame(frame, limits).ok, false);
    assert.equal(decodeClientFrame(frame).ok, true);
  });

  it('ignores extra trailing fields (forward compatibility) and drops unknown properties', () => {
    const r = bad([5, 'c_1', 'from-the-future']);
    assert.ok(r.ok);
    assert.deepEqual(r.frame, { type: 'unsubscribe', conversationId: 'c_1' });
    const withGrant = bad([4, 'c_1', 'g', 'from-the-future']);
    assert.ok(withGrant.ok);
    assert.deepEqual(withGrant.frame, { type: 'subscribe', conversationId: 'c_1', grant: 'g' });
  });

  it('bounds a subscription grant (64 characters, not empty)', () => {
    assert.equal(bad([4, 'c_1', 'g'.repeat(64)]).ok, true);
    assert.equal(bad([4, 'c_1', 'g'.repeat(65)]).ok, false);
    assert.equal(bad([4, 'c_1', '']).ok, false);
    assert.equal(bad([4, 'c_1', 7]).ok, false);
  });

  it('reads an error code it does not know (from a newer peer) as unknown-error, keeping the frame', () => {
    const fromNewerRelay = (code: unknown) => {
      const wire = frameToWire({ type: 'error', code: 'internal', message: 'it went wrong', ref: 'cm_1' });
      wire[1] = code;
      return decodeServerFrame(pack(wire));
    };
    const r = fromNewerRelay('some-code-added-later');
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.frame, { type: 'error', code: 'unknown-error', message: 'it went wrong', ref: 'cm_1' });
    assert.equal(isRetryable('unknown-error'), false, 'nothing is retried on a flag this side cannot know');
    // Known codes read as themselves; what is not code-shaped is still refused.
    const known = fromNewerRelay('rate-limited');
    assert.ok(known.ok && known.frame.type === 'error' && known.frame.code === 'rate-limited');
    for (const junk of ['Not A Code', 'x'.repeat(65), 42, ''])
      assert.equal(fromNewerRelay(junk).ok, false, String(junk));
  });

  it('does not let __proto__ keys through nested records', () => {
    const r = decodeServerFrame(pack([27, 'c_1', [['s_1', 'm_1', 1, false, { __proto__: { polluted: true } }]]]));
    assert.ok(r.ok);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('answers invalid msgpack and invalid JSON', () => {
    assert.ok(!decodeClientFrame(new Uint8Array([0xc1])).ok);
    assert.ok(!decodeClientFrame(new Uint8Array([0x93, 0x01])).ok);
    assert.ok(!decodeClientFrameJson('[3, "a"').ok);
    assert.ok(!decodeClientFrame(new Uint8Array(0)).ok);
  });
});

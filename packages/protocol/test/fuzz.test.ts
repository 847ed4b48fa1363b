/**
 * Fuzzing the decoders with random and mutated bytes. The property: decoding never throws, and whatever it
 * accepts is a well-formed frame that encodes back to an accepted frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClientFrame, decodeServerFrame, encodeFrame, type DecodeResult, type Frame } from '../src/index.js';
import { SAMPLE_FRAMES } from './samples.js';

/** Small deterministic PRNG (mulberry32) so that a failure is reproducible from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.LLC_FUZZ_SEED ?? 20261122);
const ROUNDS = Number(process.env.LLC_FUZZ_ROUNDS ?? 20_000);

function check(bytes: Uint8Array, decode: (b: Uint8Array) => DecodeResult<Frame>): 'ok' | 'refused' {
  let result: DecodeResult<Frame>;
  try {
    result = decode(bytes);
  } catch (error) {
    assert.fail(`decoder threw on ${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
  }
  if (!result.ok) {
    assert.ok(result.error.code === 'bad-frame' || result.error.code === 'frame-too-large');
    return 'refused';
  }
  // Anything accepted must be canonical: re-encoding and decoding yields the same frame.
  const again = decode(encodeFrame(result.frame));
  assert.ok(again.ok, 'accepted frame re-encodes to an accepted frame');
  assert.deepEqual(again.frame, result.frame);
  return 'ok';
}

describe('decoder fuzzing', () => {
  it(`never throws on ${ROUNDS} random byte strings (seed ${SEED})`, () => {
    const random = rng(SEED);
    for (let i = 0; i < ROUNDS; i++) {
      const len = Math.floor(random() * 64);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(random() * 256);
      // Bias the first byte towards fixarray headers so that the schema layer is reached, not only msgpack.
      if (len > 0 && random() < 0.5) bytes[0] = 0x90 | Math.floor(random() * 8);
      check(bytes, decodeClientFrame);
      check(bytes, decodeServerFrame);
    }
  });

  it(`never throws on ${ROUNDS} mutations of valid frames, and accepts some of them`, () => {
    const random = rng(SEED + 1);
    const encoded = SAMPLE_FRAMES.map((f) => encodeFrame(f));
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const base = encoded[Math.floor(random() * encoded.length)]!;
      const bytes = Uint8Array.from(base);
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const pos = Math.floor(random() * bytes.length);
        const op = random();
        if (op < 0.6) bytes[pos] = Math.floor(random() * 256);
        else if (op < 0.8) bytes[pos] = bytes[pos]! ^ (1 << Math.floor(random() * 8));
        else bytes[pos] = [0x00, 0x7f, 0xc0, 0xc3, 0xcc, 0xd9, 0xdc, 0xdd, 0xff][Math.floor(random() * 9)]!;
      }
      const cut = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      if (check(cut, decodeClientFrame) === 'ok') accepted++;
      if (check(cut, decodeServerFrame) === 'ok') accepted++;
    }
    // Single-byte edits of small integers and string contents often stay valid: the fuzzer reaches past msgpack.
    assert.ok(accepted > 0, 'some mutations are still valid frames');
  });

  it('survives hostile msgpack: huge declared lengths, deep nesting, extension types', () => {
    const hostile: number[][] = [
      [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4G elements, no data
      [0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41], // str32 of 2G bytes
      [0xde, 0xff, 0xff, 0x01], // map16 of 65k entries
      new Array<number>(5000).fill(0x91), // 5000 nested one-element arrays
      [0xc7, 0x02, 0x78, 0x28, 0x2a], // ext 'x' (RegExp) with an invalid pattern
      [0xd4, 0x65, 0x00], // fixext error type
      [0xc7, 0x05, 0x72, 0x01, 0x02, 0x03, 0x04, 0x05], // record ext
    ];
    for (const h of hostile) {
      check(Uint8Array.from(h), decodeClientFrame);
      check(Uint8Array.from(h), decodeServerFrame);
    }
  });
});

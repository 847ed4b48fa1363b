/**
 * Reconnect delays: full jitter within an exponentially growing, capped ceiling, and a reset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, DEFAULT_BACKOFF } from '@locallightchat/client/internal';

/** A deterministic uniform source (mulberry32) so the distribution checks are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Backoff (full jitter)', () => {
  it('draws attempt n uniformly from [0, min(cap, base·2ⁿ)]', () => {
    const samples = 4000;
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** attempt);
      const random = seeded(attempt + 1);
      const values: number[] = [];
      for (let i = 0; i < samples; i++) {
        const b = new Backoff({ ...DEFAULT_BACKOFF, random });
        for (let k = 0; k < attempt; k++) b.next();
        values.push(b.next());
      }
      assert.ok(
        values.every((v) => v >= 0 && v < ceiling),
        `attempt ${attempt}: all delays in [0, ${ceiling})`,
      );
      // Uniform: the mean is near ceiling/2 and each quarter of the range holds about a quarter of the draws.
      const mean = values.reduce((s, v) => s + v, 0) / samples;
      assert.ok(Math.abs(mean / ceiling - 0.5) < 0.03, `attempt ${attempt}: mean ${mean} ≈ ${ceiling / 2}`);
      for (let q = 0; q < 4; q++) {
        const share = values.filter((v) => v >= (q * ceiling) / 4 && v < ((q + 1) * ceiling) / 4).length / samples;
        assert.ok(Math.abs(share - 0.25) < 0.04, `attempt ${attempt}, quarter ${q}: ${share}`);
      }
    }
  });

  it('never exceeds the cap, however many attempts (no overflow to Infinity/NaN)', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0.999999 });
    let max = 0;
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      assert.ok(Number.isFinite(d));
      max = Math.max(max, d);
    }
    assert.ok(max <= 30_000 && max >= 29_000, `max ${max} reaches but never passes the cap`);
    assert.equal(b.attempts, 200);
  });

  it('grows the ceiling exponentially until the cap', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0.9999999 });
    const delays = Array.from({ length: 6 }, () => b.next());
    assert.deepEqual(delays, [99, 199, 399, 799, 999, 999]);
  });

  it('starts over after a reset', () => {
    const b = new Backoff({ baseMs: 100, capMs: 10_000, random: () => 0.9999999 });
    for (let i = 0; i < 5; i++) b.next();
    assert.equal(b.attempts, 5);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 99);
  });
});

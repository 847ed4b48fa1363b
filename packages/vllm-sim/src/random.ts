/**
 * Seeded randomness. Everything the simulator varies — answer text, answer length, step jitter — comes from
 * these generators, so the same seed reproduces the same run.
 */

/** A 32-bit hash of a string (FNV-1a with a final avalanche), used to turn prompts into seeds. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Avalanche so that similar prompts give unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Small, fast, seedable PRNG (a 32-bit multiply-xorshift generator); not for cryptography. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so that seeds 0, 1, 2 … do not start in correlated states.
    this.state = hash32(String(seed >>> 0), 0x9e3779b9);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A lognormal factor with mean 1 and log-standard-deviation `sigma` (0.1 ≈ ±10 %): step-time jitter is
   * multiplicative and skewed to the slow side, like real GPU steps.
   */
  jitter(sigma: number): number {
    if (sigma <= 0) return 1;
    return Math.exp(sigma * this.normal() - (sigma * sigma) / 2);
  }
}

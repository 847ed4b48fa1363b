// A fixed log-bucket latency histogram (1 % resolution from 1 µs to ~30 min): load processes record millions of
// samples without keeping them, ship the bucket counts to the coordinator as a plain array, and the coordinator
// merges them and reads percentiles. Accuracy is ±1 % of the value, far below the noise of a shared machine.

const MIN = 0.001; // ms
const GROWTH = 1.01;
const BUCKETS = Math.ceil(Math.log((30 * 60_000) / MIN) / Math.log(GROWTH)) + 1;
const LOG = Math.log(GROWTH);

export class Histogram {
  constructor(counts) {
    this.counts = counts ? Float64Array.from(counts) : new Float64Array(BUCKETS);
    this.n = this.counts.reduce((a, b) => a + b, 0);
    this.max = 0;
  }

  /** Records one value in milliseconds (negative clock skew counts as 0). */
  record(ms) {
    const i = ms <= MIN ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN) / LOG));
    this.counts[i]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }

  merge(other) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.n += other.n;
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** The value at percentile p (0–100), as the upper edge of its bucket; NaN when empty. */
  percentile(p) {
    if (this.n === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(MIN * GROWTH ** i, this.max || Infinity);
    }
    return this.max;
  }

  summary() {
    return {
      n: this.n,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /** A compact form for IPC: [index, count] pairs of the non-empty buckets, and the max. */
  toJSON() {
    const pairs = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) pairs.push(i, this.counts[i]);
    return { pairs, max: this.max };
  }

  static from(json) {
    const h = new Histogram();
    for (let k = 0; k < json.pairs.length; k += 2) h.counts[json.pairs[k]] = json.pairs[k + 1];
    h.n = h.counts.reduce((a, b) => a + b, 0);
    h.max = json.max;
    return h;
  }
}

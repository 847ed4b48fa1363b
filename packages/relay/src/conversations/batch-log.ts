/**
 * The token batches a {@link StreamRecord} holds, as their encoded bytes appended to one growing buffer per
 * stream, with their seqs in a plain number array.
 *
 * Why bytes: a relay forwards batches it never needs to read, and holding each as a decoded object (an object and
 * a string per batch, all surviving into the old generation) made young-generation GC the relay's largest cost
 * after the socket writes (bench/README.md, "Profiling the relay"). Appending copies the bytes once (never a view
 * into the broker client's read buffer, which would keep whole socket reads alive); a resume or the end of the
 * stream decodes them when it needs the text.
 *
 * Buffers are never written in place once handed out: growing or compacting allocates a new one, so the
 * sub-array views {@link BatchLog.bytesAt} returns stay valid.
 */
const MIN_BYTES = 256;
/** Dropped entries are forgotten (their index space reclaimed) once they are this many and half the log. */
const COMPACT_AFTER = 1024;

export class BatchLog {
  private buffer = new Uint8Array(0);
  /** Bytes used in `buffer`, from `base`. */
  private used = 0;
  /** Offset in `buffer` of entry `first` (bytes before it belong to dropped entries). */
  private base = 0;
  /** Index of the oldest entry still held. */
  private first = 0;
  private seqs: number[] = [];
  /** Start offset of each entry in `buffer`; an entry ends where the next starts (the last at `used`). */
  private starts: number[] = [];

  /** Entries held. */
  get length(): number {
    return this.seqs.length - this.first;
  }

  /** Appends a batch (copying `bytes`). */
  append(seq: number, bytes: Uint8Array): void {
    if (this.used + bytes.byteLength > this.buffer.byteLength) this.reallocate(bytes.byteLength);
    this.buffer.set(bytes, this.used);
    this.starts.push(this.used);
    this.seqs.push(seq);
    this.used += bytes.byteLength;
  }

  /** Forgets the oldest entry; returns its seq. */
  dropOldest(): number {
    const seq = this.seqs[this.first]!;
    this.first++;
    this.base = this.first < this.seqs.length ? this.starts[this.first]! : this.used;
    if (this.first >= COMPACT_AFTER && this.first * 2 >= this.seqs.length) this.forgetDropped();
    return seq;
  }

  /** The seq of the `i`-th entry held (0 = oldest). */
  seqAt(i: number): number {
    return this.seqs[this.first + i]!;
  }

  /** The bytes of the `i`-th entry held (a view that stays valid). */
  bytesAt(i: number): Uint8Array {
    const k = this.first + i;
    const end = k + 1 < this.starts.length ? this.starts[k + 1]! : this.used;
    return this.buffer.subarray(this.starts[k]!, end);
  }

  /** Gives back the spare capacity (when the stream ended: nothing more is appended). */
  trim(): void {
    if (this.buffer.byteLength > this.used - this.base) this.reallocate(0, true);
  }

  /** Moves the held bytes to a new buffer with room for `extra` more (doubling), or exactly fitting. */
  private reallocate(extra: number, exact = false): void {
    const live = this.used - this.base;
    const size = exact ? live : Math.max(MIN_BYTES, (live + extra) * 2);
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(this.base, this.used));
    const shift = this.base;
    for (let k = this.first; k < this.starts.length; k++) this.starts[k] = this.starts[k]! - shift;
    this.buffer = next;
    this.used = live;
    this.base = 0;
  }

  private forgetDropped(): void {
    this.seqs = this.seqs.slice(this.first);
    this.starts = this.starts.slice(this.first);
    this.first = 0;
  }
}

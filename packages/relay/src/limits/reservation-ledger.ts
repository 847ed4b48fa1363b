/**
 * Reservations this node made for running generations, refunded from the real usage when their stream ends.
 *
 * The node that accepted a message holds its conversation open (the sender's socket joined it), so it sees the
 * stream-end. If it never does — the node died, or every socket left long before the end — the reservation
 * stays spent: the budget errs on the side of the GPU, and refills with time.
 */
import type { StreamEndFrame } from '@locallightchat/protocol';
import type { Store } from '../store/store.js';
import type { TokenBucketPolicy } from './token-bucket.js';

/** Reservations older than this are forgotten unrefunded (no generation runs that long). */
export const DEFAULT_RESERVATION_MAX_AGE_MS = 30 * 60_000;

interface Entry {
  userId: string;
  amount: number;
  policy: TokenBucketPolicy;
  at: number;
}

export class ReservationLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly log: (message: string, error?: unknown) => void,
    /** Entries older than this are forgotten unrefunded. */
    private readonly maxAgeMs = DEFAULT_RESERVATION_MAX_AGE_MS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  track(streamId: string, userId: string, amount: number, policy: TokenBucketPolicy): void {
    this.entries.set(streamId, { userId, amount, policy, at: Date.now() });
  }

  /** Refunds what the stream did not use: everything when it produced no usage (failed before the model ran). */
  settle(end: StreamEndFrame): void {
    const entry = this.entries.get(end.streamId);
    if (!entry) return;
    this.entries.delete(end.streamId);
    const used = end.usage ? end.usage.promptTokens + end.usage.completionTokens : 0;
    const unused = entry.amount - used;
    if (unused <= 0) return;
    this.store.refundTokens(entry.userId, unused, entry.policy).catch((error: unknown) => {
      this.log(`could not refund ${unused} tokens to ${entry.userId}`, error);
    });
  }

  sweep(now = Date.now()): void {
    for (const [id, entry] of this.entries) if (now - entry.at > this.maxAgeMs) this.entries.delete(id);
  }
}

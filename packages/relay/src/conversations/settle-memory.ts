/**
 * What a relay node remembers of its settles (ended-answers.ts): a read of a conversation that no socket here
 * holds open reads the conversation's retained events back from the broker, to store the answers that ended
 * while no relay could store them. Remembering nothing, every such read (a tab reading a conversation whose
 * newest message is a question) paid a whole replay, and an answer that came back incomplete was rebuilt on each
 * read (the review of issue 12). Remembered, per conversation:
 *
 * - "settled": nothing was left to store. Trusted while a broker subscription taken before the replay (the watch)
 *   has seen no event of the conversation since: any event (a message written, a stream's start, a batch, an
 *   end) may make something storable, and the next read replays. So an answer that ends after the check is
 *   stored by the first read after its end, as without this memory; one still running costs a replay per read.
 * - "incomplete": an ended answer came back without its start (the broker's retention dropped it) or short (a
 *   batch not stored yet), or the read failed. Not read again for a pause that doubles from `recheckMs` up to
 *   `memoryMs` — unless an event arrives first (a late batch is one), which ends the pause at once.
 *
 * Bounded: at most `entries` conversations (the least recently read forgotten first, their watch ended), none
 * trusted longer than `memoryMs` (a bound on what an event the watch missed can delay: one published just
 * before the watch was in place and stored by the broker just after the replay read), forgotten once not read
 * for `memoryMs`. A broker reconnect distrusts them all (live events published meanwhile never reach a node).
 */
import type { Broker, Subscription } from '@locallightchat/broker';

/** Settings of a {@link SettleMemory} (HubOptions.settleMemoryEntries, settleMemoryMs, settleRecheckMs). */
export interface SettleMemoryOptions {
  entries: number;
  memoryMs: number;
  recheckMs: number;
}

/** One conversation's last settle. */
export interface SettleCheck {
  readonly conversationId: string;
  /** Live while the check may be trusted: ended by the first event of the conversation. */
  watch?: Subscription;
  /** An event arrived since the check began. */
  changed: boolean;
  /** When the check began (0: never). */
  checkedAt: number;
  /** Trusted until then (0: not trusted, e.g. under way). */
  trustedUntil: number;
  /** Checks in a row that left an answer incomplete: the next pause is `recheckMs · 2^retries`. */
  retries: number;
}

export class SettleMemory {
  /** By conversation id, least recently read first (a Map keeps insertion order: a read re-inserts). */
  private readonly checks = new Map<string, SettleCheck>();

  constructor(
    private readonly broker: Broker,
    private readonly options: SettleMemoryOptions,
  ) {}

  /** Whether the last settle of the conversation still holds: nothing published since, pause not over. */
  trusted(conversationId: string, now = Date.now()): boolean {
    const check = this.checks.get(conversationId);
    if (!check) return false;
    this.touch(check);
    return check.watch !== undefined && !check.changed && now < check.trustedUntil;
  }

  /**
   * Begins a settle: watches the conversation from now on (the watch is in place at the broker when this
   * resolves), so an event published while the retained ones are read makes the check untrusted.
   */
  async begin(conversationId: string, now = Date.now()): Promise<SettleCheck> {
    let check = this.checks.get(conversationId);
    if (!check) {
      check = { conversationId, changed: false, checkedAt: 0, trustedUntil: 0, retries: 0 };
      this.checks.set(conversationId, check);
      this.evictBeyondBound();
    } else this.touch(check);
    check.changed = false;
    check.checkedAt = now;
    check.trustedUntil = 0;
    // Not held (a bound of 0 entries remembers nothing): no watch, which nothing would end.
    if (!check.watch && this.checks.get(conversationId) === check) {
      const watched = check;
      watched.watch = this.broker.subscribe(conversationId, () => this.changed(watched));
      await this.broker.flush();
    }
    return check;
  }

  /**
   * Ends a settle: `settled` (nothing left to store) is trusted for `memoryMs`; `incomplete` (an answer not
   * whole, or the read failed) for the next pause.
   */
  end(check: SettleCheck, outcome: 'settled' | 'incomplete', now = Date.now()): void {
    if (this.checks.get(check.conversationId) !== check) return; // forgotten meanwhile
    const { memoryMs, recheckMs } = this.options;
    if (outcome === 'settled') {
      check.retries = 0;
      check.trustedUntil = now + memoryMs;
    } else {
      check.trustedUntil = now + Math.min(memoryMs, recheckMs * 2 ** Math.min(check.retries, 30));
      check.retries++;
    }
  }

  /** Forgets a conversation's check (it opened here, or was deleted). */
  forget(conversationId: string): void {
    const check = this.checks.get(conversationId);
    if (!check) return;
    check.watch?.unsubscribe();
    this.checks.delete(conversationId);
  }

  /** Trusts no check any more (the broker connection was lost: events may have been missed). */
  distrustAll(): void {
    for (const check of this.checks.values()) this.changed(check);
  }

  /** Forgets the checks of conversations not read for `memoryMs` (the hub's sweep). */
  sweep(now = Date.now()): void {
    const before = now - this.options.memoryMs;
    for (const check of [...this.checks.values()])
      if (check.checkedAt < before && now >= check.trustedUntil) this.forget(check.conversationId);
  }

  close(): void {
    for (const id of [...this.checks.keys()]) this.forget(id);
  }

  /** Held checks (tests: the bound). */
  get size(): number {
    return this.checks.size;
  }

  private changed(check: SettleCheck): void {
    check.changed = true;
    check.watch?.unsubscribe();
    check.watch = undefined;
  }

  private touch(check: SettleCheck): void {
    this.checks.delete(check.conversationId);
    this.checks.set(check.conversationId, check);
  }

  private evictBeyondBound(): void {
    for (const id of this.checks.keys()) {
      if (this.checks.size <= this.options.entries) return;
      this.forget(id);
    }
  }
}

/**
 * Sessions outlive sockets: which conversations a connection holds is saved in the store (debounced while it
 * changes, and once more when the socket closes, so the TTL counts from the disconnect). A client that
 * reconnects — to this node or any other — names its previous `sessionId` in `hello`, and the relay re-joins
 * those conversations before `welcome`: live tokens flow again at once, and the client only resumes gaps.
 *
 * Best effort by design: while the store is down, nothing is saved and nothing restored, and clients
 * re-subscribe themselves as they always can.
 *
 * One service per relay (in its context), fed plain session records: it knows nothing of connections, and what
 * waits for a debounced save lives here, keyed by session id, only while it waits.
 */
import { HARD_LIMITS } from '@locallightchat/protocol';
import { tokenAllows, type Principal } from '../auth/authenticator.js';
import type { Logger } from '../log.js';
import type { SessionRecord, Store } from '../store/store.js';

/** Changes within this window are saved once. */
const SAVE_DEBOUNCE_MS = 250;

interface PendingSave {
  record: SessionRecord;
  timer: ReturnType<typeof setTimeout>;
}

/** One per relay (`RelayContext.sessions`). */
export class SessionMemory {
  private readonly pending = new Map<string, PendingSave>();

  constructor(
    private readonly store: Store,
    /** How long a saved session stays restorable, seconds. */
    private readonly ttlSec: number,
    private readonly log: Logger,
  ) {}

  /** The session changed: saves its latest record soon (once per debounce window). */
  saveSoon(record: SessionRecord): void {
    const waiting = this.pending.get(record.sessionId);
    if (waiting) {
      waiting.record = record;
      return;
    }
    const entry: PendingSave = {
      record,
      timer: setTimeout(() => {
        this.pending.delete(record.sessionId);
        void this.save(entry.record);
      }, SAVE_DEBOUNCE_MS),
    };
    this.pending.set(record.sessionId, entry);
  }

  /** Saves now (the connection closed), replacing a save that was waiting. */
  async save(record: SessionRecord): Promise<void> {
    this.cancel(record.sessionId);
    const bounded = { ...record, conversations: record.conversations.slice(0, HARD_LIMITS.sessionConversations) };
    try {
      await this.store.saveSession(bounded, this.ttlSec);
    } catch (error) {
      this.log.debug(`session ${record.sessionId} not saved: ${describe(error)}`);
    }
  }

  /** Drops a save that was waiting (the connection closed holding nothing). */
  cancel(sessionId: string): void {
    const waiting = this.pending.get(sessionId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.pending.delete(sessionId);
  }

  /**
   * The conversations of a previous session of the same user that this token may still touch (ownership is
   * the caller's check, as for any conversation). Empty when the session is unknown, expired, another user's,
   * or the store cannot be read.
   */
  async restorable(sessionId: string, principal: Principal): Promise<string[]> {
    let record: SessionRecord | undefined;
    try {
      record = await this.store.loadSession(sessionId);
    } catch (error) {
      this.log.debug(`session ${sessionId} not restored: ${describe(error)}`);
      return [];
    }
    if (!record || record.userId !== principal.userId) return [];
    return record.conversations.filter((conversationId) => tokenAllows(principal, conversationId));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

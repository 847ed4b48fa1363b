/**
 * The per-socket seq rule: for each stream a connection follows, the last seq written to it, so that each token
 * batch reaches the socket once and in order — whether it arrives live from the broker, from a resume, or both
 * (a replay holds the stream's live events and applies them after its own, through the same rule).
 *
 * The reaction to a gap is to forward the batch anyway: the client sees the gap ({@link classifyBatch} on its
 * side) and resumes from its own last seq.
 */
import type { ConversationEvent } from '@locallightchat/broker';
import { classifyBatch } from '@locallightchat/protocol';

interface Cursor {
  /** The last seq written to the socket (0 = none yet). */
  sentSeq: number;
  /** While a replay runs: the stream's live events, applied after the replay's. */
  held?: [ConversationEvent, Uint8Array][];
}

/** The cursors of one connection, created when it first follows a stream. */
export class StreamCursors {
  private readonly cursors = new Map<string, Cursor>();

  /** Follows a stream from `afterSeq` (0 = from its start); a stream already followed moves back, never on. */
  follow(streamId: string, afterSeq: number): void {
    const current = this.cursors.get(streamId);
    if (current) current.sentSeq = Math.min(current.sentSeq, afterSeq);
    else this.cursors.set(streamId, { sentSeq: afterSeq });
  }

  /**
   * A replay from `fromSeq` starts: the socket continues from there, and the stream's live events are held.
   * Returns the end of the replay, which gives the events held meanwhile, to be sent (through {@link admit})
   * after the replay's own.
   */
  startReplay(streamId: string, fromSeq: number): () => [ConversationEvent, Uint8Array][] {
    this.follow(streamId, Math.max(0, fromSeq - 1));
    const cursor = this.cursors.get(streamId)!;
    cursor.sentSeq = Math.max(0, fromSeq - 1);
    cursor.held = [];
    return () => {
      const held = cursor.held ?? [];
      cursor.held = undefined;
      return held;
    };
  }

  /** Holds a live event while its stream replays (a copy: the bytes may be a view into a reused buffer). */
  holdDuringReplay(event: ConversationEvent, bytes: Uint8Array): boolean {
    if (event.type === 'message') return false;
    const held = this.cursors.get(event.streamId)?.held;
    if (!held) return false;
    held.push([event, bytes.slice()]);
    return true;
  }

  /** Whether the socket gets this event now (and, for a batch, records it as sent). */
  admit(event: ConversationEvent): boolean {
    switch (event.type) {
      case 'message':
        return true;
      case 'stream-start':
      case 'queued': {
        // A new stream in a conversation this socket holds: follow it from the start.
        const cursor = this.cursors.get(event.streamId);
        if (!cursor) this.cursors.set(event.streamId, { sentSeq: 0 });
        return !cursor || cursor.sentSeq <= 0; // past the start, a replay already sent it
      }
      case 'token': {
        const cursor = this.cursors.get(event.streamId);
        if (!cursor || classifyBatch(cursor.sentSeq, event) === 'old') return false;
        cursor.sentSeq = event.seq;
        return true;
      }
      case 'stream-end':
        return this.cursors.delete(event.streamId);
    }
  }
}

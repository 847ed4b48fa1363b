/**
 * Resumes written at the socket's pace.
 *
 * A client that resumes a stream from far behind may be owed more than its send queue may hold (a 12 MB answer
 * against a 2 MB bound). Queued at once, the replay closed the socket as a slow consumer (4008), the client
 * resumed from the same seq, and the same replay closed it again, for as long as the client tried:
 * `bench/stream/run-slow.mjs --hard-limit 1048576` left 0 of 5 slow readers complete after 335 such closes.
 * Here a replay goes out one compacted frame at a time (compact.ts) while the socket has room — its queue and
 * buffer under the high-water mark — and goes on each time the socket has written what it held. The stream's
 * live events stay held meanwhile (stream-cursors.ts) and follow the replay, so the socket still sees one
 * ordered, duplicate-free sequence; what waits is the replay's events (the ones the ring or JetStream gave,
 * not copies) and the live batches held.
 */
import type { ConversationEvent } from '@locallightchat/broker';
import { TokenFrameView, encodeFrame } from '@locallightchat/protocol';
import { nextCompacted } from '../conversations/compact.js';
import type { StreamEvent } from '../conversations/stream-record.js';

/** Where a paced replay writes: the connection's seq rule and send queue. */
export interface ReplayOutlet {
  /** Whether the socket takes more now (its queued and buffered bytes under the high-water mark). */
  hasRoom(): boolean;
  /** Passes one event on through the seq rule to the send queue. */
  forward(event: ConversationEvent, bytes: Uint8Array): void;
}

interface PendingReplay {
  readonly streamId: string;
  readonly events: readonly StreamEvent[];
  /** Index of the next event to write. */
  next: number;
  /** Ends the stream's replay state: the live events held meanwhile, to follow the replay. */
  readonly end: () => [ConversationEvent, Uint8Array][];
}

/**
 * Largest compacted frame of a replay, in characters, for a socket bounded by `hardLimitBytes` that pauses at
 * `highWaterBytes`: a frame added at the high-water mark stays under the bound even at 3 bytes a character
 * (half the space between them, to leave room for live frames), and never above the protocol's batch limit.
 */
export function replayFrameChars(highWaterBytes: number, hardLimitBytes: number, batchChars: number): number {
  return Math.max(1, Math.min(batchChars, Math.floor((hardLimitBytes - highWaterBytes) / 6)));
}

/** The replays of one connection still being written, in the order they were asked (see the module comment). */
export class ReplayPacer {
  private readonly replays: PendingReplay[] = [];

  constructor(
    private readonly outlet: ReplayOutlet,
    private readonly maxChars: number,
  ) {}

  /** Whether every replay has been written. */
  get idle(): boolean {
    return this.replays.length === 0;
  }

  /** Writes `events` of `streamId` (then the live events `end` returns) as the socket takes them. */
  add(streamId: string, events: readonly StreamEvent[], end: () => [ConversationEvent, Uint8Array][]): void {
    this.replays.push({ streamId, events, next: 0, end });
    this.pump();
  }

  /**
   * Drops what is left of a replay of `streamId`: the client resumed that stream again, from the seq it holds
   * now, so a new replay (its seq rule reset) covers it; the old one must not end the new one's hold.
   */
  cancel(streamId: string): void {
    const at = this.replays.findIndex((r) => r.streamId === streamId);
    if (at >= 0) this.replays.splice(at, 1);
  }

  /** Writes as much as the socket has room for; call again when it has written what it held. */
  pump(): void {
    const replays = this.replays;
    while (replays.length > 0) {
      const replay = replays[0]!;
      while (replay.next < replay.events.length) {
        if (!this.outlet.hasRoom()) return;
        const { event, next } = nextCompacted(replay.events, replay.next, this.maxChars);
        replay.next = next;
        // A batch left alone keeps its bytes as received.
        this.outlet.forward(event, event instanceof TokenFrameView ? event.bytes : encodeFrame(event));
      }
      replays.shift();
      for (const [event, bytes] of replay.end()) this.outlet.forward(event, bytes);
    }
  }
}

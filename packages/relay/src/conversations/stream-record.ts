/**
 * What one relay node remembers of one stream: its start, its token batches (a bounded ring of their encoded
 * bytes, batch-log.ts) and its end. Resumes are served from here when the ring still holds the requested seq;
 * otherwise from the broker's retained events.
 */
import {
  TokenFrameView,
  applyToolCallParts,
  classifyBatch,
  decodeServerFrame,
  encodeFrame,
  storedToolCalls,
  firstSeqOf,
  type QueuedFrame,
  type StreamEndFrame,
  type StreamStartFrame,
  type StreamState,
  type StoredToolCall,
  type TokenFrame,
  type ToolCallState,
} from '@locallightchat/protocol';
import { BatchLog } from './batch-log.js';

export type StreamEvent = StreamStartFrame | TokenFrame | StreamEndFrame | QueuedFrame;

export class StreamRecord {
  start?: StreamStartFrame;
  end?: StreamEndFrame;
  queued?: QueuedFrame;
  /** Highest seq recorded. */
  lastSeq = 0;
  /** Seq of the oldest batch still held (batches before it were evicted or never seen). */
  private firstHeldSeq = 1;
  private readonly batches = new BatchLog();
  /** A batch was missing between two recorded ones: the ring cannot serve resumes below `lastSeq`. */
  private gapAt = 0;
  endedAt?: number;
  /** When the last new event of this stream was recorded (Date.now()); a stream silent too long is stalled. */
  lastEventAt = Date.now();
  /** A stall end was published for this stream (so it is published once). */
  stallReported = false;

  constructor(
    readonly streamId: string,
    private readonly maxBatches: number,
  ) {}

  /**
   * Records an event. Returns false for a duplicate (already recorded), so that fan-out sends each event once
   * even when it arrives both from a replay and live. `bytes` is the event as encoded (as received from the
   * broker); a token batch is kept as those bytes, encoded here when not given.
   */
  add(event: StreamEvent, bytes?: Uint8Array, now = Date.now()): boolean {
    const isNew = this.record(event, bytes, now);
    if (isNew) this.lastEventAt = now;
    return isNew;
  }

  private record(event: StreamEvent, bytes: Uint8Array | undefined, now: number): boolean {
    switch (event.type) {
      case 'stream-start':
        if (this.start) return false;
        this.start = event;
        return true;
      case 'queued':
        if (this.start && this.lastSeq > 0) return false;
        this.queued = event;
        return true;
      case 'stream-end':
        if (this.end) return false;
        this.end = event;
        this.endedAt = now;
        this.batches.trim();
        return true;
      case 'token': {
        const place = classifyBatch(this.lastSeq, event);
        if (place === 'old') return false;
        if (place === 'gap') {
          // The ring's reaction to a gap: a ring that starts mid-stream holds from there; a hole inside it means
          // resumes below this batch go to the broker.
          if (this.lastSeq === 0 && this.batches.length === 0) this.firstHeldSeq = firstSeqOf(event);
          else this.gapAt = Math.max(this.gapAt, event.seq);
        }
        this.batches.append(event.seq, bytes ?? encodeFrame(event));
        this.lastSeq = event.seq;
        if (this.batches.length > this.maxBatches) this.firstHeldSeq = this.batches.dropOldest() + 1;
        return true;
      }
    }
  }

  get done(): boolean {
    return this.end !== undefined;
  }

  state(): StreamState | undefined {
    const replyTo = this.start?.replyTo;
    if (!replyTo) return undefined;
    return { streamId: this.streamId, replyTo, lastSeq: this.lastSeq, done: this.done };
  }

  /** Whether every batch from `fromSeq` on is held. */
  canServe(fromSeq: number): boolean {
    const from = Math.max(1, fromSeq);
    if (from > this.lastSeq) return from === 1 ? this.start !== undefined : true;
    return from >= this.firstHeldSeq && from > this.gapAt && (from > 1 || this.start !== undefined);
  }

  /** Events a client needs to continue from `fromSeq`: the start (when from the beginning), batches, the end. */
  from(fromSeq: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (fromSeq <= 1 && this.start) out.push(this.start);
    if (fromSeq <= 1 && this.queued && !this.batches.length) out.push(this.queued);
    for (let i = 0; i < this.batches.length; i++) {
      if (this.batches.seqAt(i) < fromSeq) continue;
      const batch = this.batchAt(i);
      // A batch that does not decode is left out: the client sees the gap, as when such a batch was dropped.
      if (batch) out.push(batch);
    }
    if (this.end) out.push(this.end);
    return out;
  }

  /** The `i`-th batch held, as a frame over its bytes (its text decoded when read), or undefined if invalid. */
  private batchAt(i: number): TokenFrame | undefined {
    const bytes = this.batches.bytesAt(i);
    const result = decodeServerFrame(bytes);
    if (!result.ok || result.frame.type !== 'token') return undefined;
    const { streamId, seq, firstSeq } = result.frame;
    return new TokenFrameView(bytes, { streamId, seq, firstSeq }, result.frame);
  }

  /** Whether the stream ended and every batch from seq 1 to its end is held (without decoding them). */
  holdsAll(): boolean {
    return this.end !== undefined && this.firstHeldSeq === 1 && this.gapAt === 0 && this.lastSeq === this.end.lastSeq;
  }

  /** The whole answer, when every batch from seq 1 to the end is held. */
  completeText(): { text: string; reasoning: string; toolCalls: StoredToolCall[] } | undefined {
    if (!this.holdsAll()) return undefined;
    let text = '';
    let reasoning = '';
    const calls: ToolCallState[] = [];
    for (let i = 0; i < this.batches.length; i++) {
      const b = this.batchAt(i);
      if (!b) return undefined;
      text += b.text;
      if (b.reasoning) reasoning += b.reasoning;
      if (b.tools) applyToolCallParts(calls, b.tools);
    }
    return { text, reasoning, toolCalls: storedToolCalls(calls) };
  }
}

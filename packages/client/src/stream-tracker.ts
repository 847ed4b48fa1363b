/**
 * The answers being received: per stream, the seq rule with its reaction to a gap, and the latency figures.
 *
 * The rule itself is protocol's `classifyBatch` (old / next / gap). The client's reaction: append the next batch;
 * drop an old one; on a gap (or a partial overlap after a coalesced replay) ask the relay to resume from the last
 * seq held + 1, once, and drop the batches that do not fit until the resume catches up. The tracker holds no
 * text: the messages are the ConversationStore's, and the caller appends what the tracker accepts.
 */
import { classifyBatch, type ClientFrame, type StreamEndFrame, type TokenFrame } from '@locallightchat/protocol/core';
import type { StreamMetrics } from './types.js';

interface Tracked {
  conversationId: string;
  /** When the user message was sent (epoch ms), for TTFT. */
  sentAt?: number;
  /** `performance.now()` at the first batch. */
  firstTokenAt?: number;
  batches: number;
  /** A resume was requested and has not caught up yet. */
  resumePending: boolean;
}

export class StreamTracker {
  readonly #streams = new Map<string, Tracked>();

  /** Carries the resumes to the relay. */
  readonly #sendFrame: (frame: ClientFrame) => void;

  constructor(sendFrame: (frame: ClientFrame) => void) {
    this.#sendFrame = sendFrame;
  }

  /** Starts tracking an answer of a conversation (no change when it is tracked already). */
  track(streamId: string, conversationId: string): void {
    if (!this.#streams.has(streamId)) this.#streams.set(streamId, { conversationId, batches: 0, resumePending: false });
  }

  /** The conversation of a tracked stream. */
  conversationOf(streamId: string): string | undefined {
    return this.#streams.get(streamId)?.conversationId;
  }

  /** Records when the message a stream answers was sent (the first record wins). */
  sentAt(streamId: string, at: number | undefined): void {
    const tracked = this.#streams.get(streamId);
    if (tracked) tracked.sentAt ??= at;
  }

  /** Whether a resume of this stream is on its way. */
  resumePending(streamId: string): boolean {
    return this.#streams.get(streamId)?.resumePending ?? false;
  }

  /**
   * The seq rule for a batch of a tracked answer held up to `lastSeq`: true when the batch is the next one and
   * must be appended. An old batch is dropped; a gap asks for a resume (once until it catches up) and is dropped.
   */
  accept(frame: TokenFrame, lastSeq: number): boolean {
    const tracked = this.#streams.get(frame.streamId);
    if (!tracked) return false;
    switch (classifyBatch(lastSeq, frame)) {
      case 'old':
        return false;
      case 'gap':
        if (!tracked.resumePending) this.resume(tracked.conversationId, frame.streamId, lastSeq);
        return false;
      case 'next':
        tracked.resumePending = false;
        tracked.batches++;
        tracked.firstTokenAt ??= performance.now();
        return true;
    }
  }

  /** Asks the relay for the batches after `lastSeq`. */
  resume(conversationId: string, streamId: string, lastSeq: number): void {
    const tracked = this.#streams.get(streamId);
    if (tracked) tracked.resumePending = true;
    this.#sendFrame({ type: 'resume', conversationId, streamId, fromSeq: lastSeq + 1 });
  }

  /** The relay cannot resume this stream any more (its batches expired): no resume is pending. */
  resumeUnavailable(streamId: string): void {
    const tracked = this.#streams.get(streamId);
    if (tracked) tracked.resumePending = false;
  }

  /**
   * Resumes for a new connection: each tracked answer for which `liveLastSeq` gives a last seq (the answers still
   * live) resumes from there + 1.
   */
  resyncFrames(liveLastSeq: (conversationId: string, streamId: string) => number | undefined): ClientFrame[] {
    const frames: ClientFrame[] = [];
    for (const [streamId, tracked] of this.#streams) {
      const lastSeq = liveLastSeq(tracked.conversationId, streamId);
      if (lastSeq === undefined) continue;
      tracked.resumePending = true;
      frames.push({ type: 'resume', conversationId: tracked.conversationId, streamId, fromSeq: lastSeq + 1 });
    }
    return frames;
  }

  /** Stops tracking a finished answer and returns its latency figures (undefined when it was not tracked). */
  end(frame: StreamEndFrame): StreamMetrics | undefined {
    const tracked = this.#streams.get(frame.streamId);
    if (!tracked) return undefined;
    this.#streams.delete(frame.streamId);
    const { conversationId, batches, sentAt, firstTokenAt } = tracked;
    const metrics: StreamMetrics = { streamId: frame.streamId, conversationId, batches };
    if (firstTokenAt !== undefined && sentAt !== undefined) {
      // sentAt is wall-clock time: moved onto the performance timeline as of now.
      metrics.ttftMs = Math.max(0, firstTokenAt - (sentAt - Date.now() + performance.now()));
    }
    if (frame.usage) {
      metrics.completionTokens = frame.usage.completionTokens;
      if (firstTokenAt !== undefined && frame.usage.completionTokens > 1) {
        metrics.tpotMs = (performance.now() - firstTokenAt) / (frame.usage.completionTokens - 1);
      }
    }
    return metrics;
  }

  /** Stops tracking an answer without figures (completed from the history, or removed by an edit). */
  forget(streamId: string): void {
    this.#streams.delete(streamId);
  }
}

/**
 * Ratings in flight: each `LlcClient.feedback()` call waits for the relay's `feedback-saved` (or an `error`
 * about the same answer), so the UI only thanks the reader once the rating is stored. Ratings are not kept in
 * the outbox: one made while offline is refused at once, and the reader can simply rate again.
 */
import type { ErrorFrame, FeedbackFrame, FeedbackRating, FeedbackSavedFrame } from '@locallightchat/protocol';
import { LlcClientError } from './client-options.js';

/** How long a rating waits for the relay's answer before its promise rejects, ms. */
export const FEEDBACK_TIMEOUT_MS = 15_000;

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class FeedbackRequests {
  readonly #waiting = new Map<string, Waiter[]>();
  /** Sends on the connection; false when it is not open. */
  readonly #send: (frame: FeedbackFrame) => boolean;

  constructor(send: (frame: FeedbackFrame) => boolean) {
    this.#send = send;
  }

  /**
   * Sends the rating of the answer streamed as `streamId` (a blank comment is left out) and waits for the
   * relay's answer; while offline it fails at once.
   */
  rate(conversationId: string, streamId: string, rating: FeedbackRating, comment?: string): Promise<void> {
    const trimmed = comment?.trim();
    const saved = this.#wait(streamId);
    const sent = this.#send({
      type: 'feedback',
      conversationId,
      streamId,
      rating,
      ...(trimmed ? { comment: trimmed } : {}),
    });
    if (!sent)
      this.failed({ type: 'error', code: 'not-ready', message: 'offline: the feedback was not sent', ref: streamId });
    return saved;
  }

  /** Waits for the relay's answer about the rating of stream `streamId`. */
  #wait(streamId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#remove(streamId, waiter);
          reject(new LlcClientError('the relay did not confirm the feedback in time'));
        }, FEEDBACK_TIMEOUT_MS),
      };
      this.#waiting.set(streamId, [...(this.#waiting.get(streamId) ?? []), waiter]);
    });
  }

  /** A `feedback-saved` frame: the oldest rating of that answer in flight is stored. */
  saved(frame: FeedbackSavedFrame): void {
    this.#take(frame.streamId)?.resolve();
  }

  /** An `error` frame: when it is about an answer with a rating in flight, that rating failed. */
  failed(frame: ErrorFrame): void {
    if (frame.ref) this.#take(frame.ref)?.reject(new LlcClientError(frame.message));
  }

  /** The client closes: nothing will answer any more. */
  close(): void {
    for (const waiters of this.#waiting.values())
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new LlcClientError('the client was closed'));
      }
    this.#waiting.clear();
  }

  #take(streamId: string): Waiter | undefined {
    const waiters = this.#waiting.get(streamId);
    const first = waiters?.shift();
    if (!first) return undefined;
    if (waiters!.length === 0) this.#waiting.delete(streamId);
    clearTimeout(first.timer);
    return first;
  }

  #remove(streamId: string, waiter: Waiter): void {
    const rest = (this.#waiting.get(streamId) ?? []).filter((w) => w !== waiter);
    if (rest.length) this.#waiting.set(streamId, rest);
    else this.#waiting.delete(streamId);
  }
}

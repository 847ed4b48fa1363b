/**
 * The outbox: user messages from the moment they are sent until the relay settles them (acknowledges them, or
 * refuses them for good). Each one is stored on the device before it is first sent, so a reload or a browser
 * restart sends it again; it is resent on every new connection, and when the relay said when to try again
 * (`retry-after`). The relay answers each client message id once, so a resend never produces a second answer.
 *
 * The client owns the outbox and closes it with itself: no resend timer outlives `LlcClient.close()`.
 */
import type { SendFrame } from '@locallightchat/protocol';
import { warnStorage, type LocalStore } from './persistence/local-store.js';

export class Outbox {
  /** Messages not settled yet, in the order they were sent. */
  readonly #unacked = new Map<string, SendFrame>();
  readonly #retryTimers = new Map<string, ReturnType<typeof setTimeout>>();

  readonly #local: LocalStore;
  /** Sends a frame if the connection is open (else the next connection's resync carries it). */
  readonly #transmit: (frame: SendFrame) => void;

  constructor(local: LocalStore, transmit: (frame: SendFrame) => void) {
    this.#local = local;
    this.#transmit = transmit;
  }

  /** Takes a new message: stores it on the device, then sends it (also when storing fails: it is kept here). */
  add(frame: SendFrame): void {
    this.#unacked.set(frame.clientMessageId, frame);
    this.#local.putOutgoing(frame).then(
      () => this.#transmit(frame),
      (error: unknown) => {
        warnStorage(error);
        this.#transmit(frame);
      },
    );
  }

  /** The messages an earlier page stored and did not see settled (oldest first). */
  async stored(): Promise<SendFrame[]> {
    try {
      return await this.#local.outgoing();
    } catch (error) {
      warnStorage(error);
      return [];
    }
  }

  /** Takes back a message an earlier page stored, and sends it. */
  restore(frame: SendFrame): void {
    this.#unacked.set(frame.clientMessageId, frame);
    this.#transmit(frame);
  }

  /** The unsettled message with this client message id. */
  get(clientMessageId: string): SendFrame | undefined {
    return this.#unacked.get(clientMessageId);
  }

  /** The relay settled a message: it leaves the outbox and the device. False when it was not held. */
  settle(clientMessageId: string): boolean {
    this.#clearRetry(clientMessageId);
    if (!this.#unacked.delete(clientMessageId)) return false;
    void this.#local.removeOutgoing(clientMessageId).catch(warnStorage);
    return true;
  }

  /** Resends a held message after `ms` (the relay's retry-after), unless it is settled meanwhile. */
  retryAfter(clientMessageId: string, ms: number): void {
    this.#clearRetry(clientMessageId);
    this.#retryTimers.set(
      clientMessageId,
      setTimeout(() => {
        this.#retryTimers.delete(clientMessageId);
        const frame = this.#unacked.get(clientMessageId);
        if (frame) this.#transmit(frame);
      }, ms),
    );
  }

  /** The unsettled messages, in order: what a new connection sends again. */
  frames(): SendFrame[] {
    return [...this.#unacked.values()];
  }

  /** Cancels the pending resends (the client closes); the messages stay for the next connection. */
  close(): void {
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
  }

  #clearRetry(clientMessageId: string): void {
    clearTimeout(this.#retryTimers.get(clientMessageId));
    this.#retryTimers.delete(clientMessageId);
  }
}

/**
 * Writes the conversation cache (the messages a page paints first, before the relay's history arrives; see
 * local-store.ts). A conversation changes with every batch of an answer's tokens, so its changes are written
 * together, at most every {@link CACHE_SAVE_DELAY_MS}; the writes still pending are done at once when the client
 * closes, and a deleted conversation's pending write is dropped so that it cannot bring the conversation back.
 */
import type { ClientMessage } from '../types.js';
import { warnStorage, type LocalStore } from './local-store.js';

/** Changes to a conversation are written to the device cache at most this often, ms. */
export const CACHE_SAVE_DELAY_MS = 250;

export class CacheWriter {
  readonly #local: LocalStore;
  readonly #messages: (conversationId: string) => ClientMessage[];
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** `messages` gives what to cache of a conversation; nothing is written while it is empty. */
  constructor(local: LocalStore, messages: (conversationId: string) => ClientMessage[]) {
    this.#local = local;
    this.#messages = messages;
  }

  /** A conversation changed: it is written once the delay has passed (with whatever changed until then). */
  changed(conversationId: string): void {
    if (this.#timers.has(conversationId)) return;
    this.#timers.set(
      conversationId,
      setTimeout(() => {
        this.#timers.delete(conversationId);
        this.#save(conversationId);
      }, CACHE_SAVE_DELAY_MS),
    );
  }

  /** Writes every pending conversation now and cancels the timers (the client closes). */
  flush(): void {
    for (const [conversationId, timer] of this.#timers) {
      clearTimeout(timer);
      this.#save(conversationId);
    }
    this.#timers.clear();
  }

  /** A deleted conversation: its pending write is dropped, and it is deleted from the device. */
  delete(conversationId: string): void {
    clearTimeout(this.#timers.get(conversationId));
    this.#timers.delete(conversationId);
    void this.#local.deleteConversation?.(conversationId).catch(warnStorage);
  }

  #save(conversationId: string): void {
    const messages = this.#messages(conversationId);
    if (messages.length) void this.#local.saveConversation(conversationId, messages).catch(warnStorage);
  }
}

/**
 * What the client keeps on the device: the outbox (user messages not yet acknowledged, so they survive a
 * reload, a crash or a browser restart) and a cache of finished conversation messages (so a page paints its
 * last known conversation before the relay answers).
 *
 * `IdbLocalStore` keeps both in IndexedDB (through `idb`); `MemoryLocalStore` is used where IndexedDB is
 * missing (or when persistence is turned off), so the rest of the client never checks.
 *
 * `idb` is imported on demand (a chunk of its own in the CDN bundle): the page's first render does not wait for it.
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import type { SendFrame } from '@locallightchat/protocol';
import type { ClientMessage } from '../types.js';

export interface LocalStore {
  /** Stores a message before it is sent. Resolves once it is durable. */
  putOutgoing(frame: SendFrame): Promise<void>;
  /** Removes it once the relay acknowledged it (or refused it for good). */
  removeOutgoing(clientMessageId: string): Promise<void>;
  /** Every stored outgoing message, oldest first. */
  outgoing(): Promise<SendFrame[]>;
  /** Replaces the cached messages of a conversation. */
  saveConversation(conversationId: string, messages: ClientMessage[]): Promise<void>;
  loadConversation(conversationId: string): Promise<ClientMessage[] | undefined>;
  /**
   * Forgets a deleted conversation: its cached messages and its unsent messages. Optional for stores written
   * before it existed (the client then only drops what it holds in memory).
   */
  deleteConversation?(conversationId: string): Promise<void>;
  close(): void;
}

interface LlcDb extends DBSchema {
  outbox: { key: string; value: { clientMessageId: string; at: number; frame: SendFrame } };
  conversations: { key: string; value: { id: string; savedAt: number; messages: ClientMessage[] } };
}

/** Cached messages per conversation: enough for the first screen; older pages come from the relay. */
const CACHED_MESSAGES = 100;

export class IdbLocalStore implements LocalStore {
  readonly #db: Promise<IDBPDatabase<LlcDb>>;
  #counter = 0;

  /** `name` separates the data of different relays or users on one origin. */
  constructor(name: string) {
    this.#db = import('idb').then(({ openDB }) =>
      openDB<LlcDb>(name, 1, {
        upgrade(db) {
          db.createObjectStore('outbox', { keyPath: 'clientMessageId' });
          db.createObjectStore('conversations', { keyPath: 'id' });
        },
      }),
    );
  }

  async putOutgoing(frame: SendFrame): Promise<void> {
    // Date.now() plus a counter keeps the order of messages sent within one millisecond.
    const at = Date.now() * 1000 + (this.#counter++ % 1000);
    await (await this.#db).put('outbox', { clientMessageId: frame.clientMessageId, at, frame });
  }

  async removeOutgoing(clientMessageId: string): Promise<void> {
    await (await this.#db).delete('outbox', clientMessageId);
  }

  async outgoing(): Promise<SendFrame[]> {
    const rows = await (await this.#db).getAll('outbox');
    return rows.sort((a, b) => a.at - b.at).map((r) => r.frame);
  }

  async saveConversation(conversationId: string, messages: ClientMessage[]): Promise<void> {
    await (
      await this.#db
    ).put('conversations', { id: conversationId, savedAt: Date.now(), messages: messages.slice(-CACHED_MESSAGES) });
  }

  async loadConversation(conversationId: string): Promise<ClientMessage[] | undefined> {
    return (await (await this.#db).get('conversations', conversationId))?.messages;
  }

  async deleteConversation(conversationId: string): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['conversations', 'outbox'], 'readwrite');
    await tx.objectStore('conversations').delete(conversationId);
    for (const row of await tx.objectStore('outbox').getAll())
      if (row.frame.conversationId === conversationId) await tx.objectStore('outbox').delete(row.clientMessageId);
    await tx.done;
  }

  close(): void {
    void this.#db.then(
      (db) => db.close(),
      () => undefined,
    );
  }
}

/** Same contract, nothing survives the page (no IndexedDB, or persistence turned off). */
export class MemoryLocalStore implements LocalStore {
  readonly #outbox = new Map<string, SendFrame>();
  readonly #cache = new Map<string, ClientMessage[]>();
  async putOutgoing(frame: SendFrame): Promise<void> {
    this.#outbox.set(frame.clientMessageId, frame);
  }
  async removeOutgoing(clientMessageId: string): Promise<void> {
    this.#outbox.delete(clientMessageId);
  }
  async outgoing(): Promise<SendFrame[]> {
    return [...this.#outbox.values()];
  }
  async saveConversation(conversationId: string, messages: ClientMessage[]): Promise<void> {
    this.#cache.set(conversationId, messages.slice(-CACHED_MESSAGES));
  }
  async loadConversation(conversationId: string): Promise<ClientMessage[] | undefined> {
    return this.#cache.get(conversationId);
  }
  async deleteConversation(conversationId: string): Promise<void> {
    this.#cache.delete(conversationId);
    for (const [id, frame] of this.#outbox) if (frame.conversationId === conversationId) this.#outbox.delete(id);
  }
  close(): void {}
}

/** The default store: IndexedDB when the environment has it. */
export function defaultLocalStore(name: string): LocalStore {
  return typeof indexedDB === 'undefined' ? new MemoryLocalStore() : new IdbLocalStore(name);
}

/** Storage failures never stop the client: it goes on in memory, and says so once per failure. */
export function warnStorage(error: unknown): void {
  console.warn('[llc-client] local storage failed; continuing without it', error);
}

/**
 * The user's conversations as a library: list pages, rename, delete. Each call sends one frame and waits for
 * the relay's answer (or an `error` about the same conversation); list pages are answered in the order asked,
 * on one connection. Like ratings, these are not kept in the outbox: made while offline, they fail at once.
 */
import type {
  ConversationDeletedFrame,
  ConversationListFrame,
  ConversationRenamedFrame,
  ConversationSummary,
  DeleteConversationFrame,
  ErrorFrame,
  ListConversationsFrame,
  RenameConversationFrame,
} from '@locallightchat/protocol';
import { MAX_CONVERSATION_QUERY_CHARS } from '@locallightchat/protocol/core';
import { LlcClientError } from './client-options.js';

/** How long a library request waits for the relay, ms. */
export const LIBRARY_TIMEOUT_MS = 15_000;

/** One page of {@link LlcClient.listConversations}. */
export interface ConversationListPage {
  /** Newest activity first. */
  conversations: ConversationSummary[];
  /** Pass as `before` for the next page; absent on the last. */
  cursor?: string;
}

/** Options of {@link LlcClient.listConversations}. */
export interface ListConversationsOptions {
  /** The previous page's `cursor` (of the same `query`). */
  before?: string;
  limit?: number;
  /** Only conversations whose title contains this, ignoring case; blank searches nothing. */
  query?: string;
}

/**
 * The `list-conversations` frame for `options`: a blank query is left out; one the relay would refuse throws
 * here, so the caller learns why at once instead of waiting for a page that never comes.
 */
export function listConversationsFrame(options: ListConversationsOptions): ListConversationsFrame {
  const query = options.query?.trim();
  if (query && query.length > MAX_CONVERSATION_QUERY_CHARS)
    throw new LlcClientError(
      `a title search is at most ${MAX_CONVERSATION_QUERY_CHARS} characters (this one has ${query.length})`,
    );
  return {
    type: 'list-conversations',
    ...(options.before !== undefined ? { before: options.before } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(query ? { query } : {}),
  };
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The frames the library sends. */
export type LibraryFrame = ListConversationsFrame | RenameConversationFrame | DeleteConversationFrame;

export class ConversationLibrary {
  readonly #pages: Waiter<ConversationListPage>[] = [];
  /** By conversation id: renames and deletes in flight. */
  readonly #changes = new Map<string, Waiter<void>[]>();
  /** Sends on the connection; false when it is not open. */
  readonly #send: (frame: LibraryFrame) => boolean;

  constructor(send: (frame: LibraryFrame) => boolean) {
    this.#send = send;
  }

  /** Asks for a page of conversations; rejects at once for options the relay would refuse. */
  list(options: ListConversationsOptions): Promise<ConversationListPage> {
    let frame: ListConversationsFrame;
    try {
      frame = listConversationsFrame(options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const page = this.#page();
    this.#sendOrFail(frame);
    return page;
  }

  /** Renames a conversation; resolves once the relay stored the title. */
  rename(conversationId: string, title: string): Promise<void> {
    const done = this.#change(conversationId);
    this.#sendOrFail({ type: 'rename-conversation', conversationId, title });
    return done;
  }

  /** Deletes a conversation; resolves once the relay deleted it. */
  delete(conversationId: string): Promise<void> {
    const done = this.#change(conversationId);
    this.#sendOrFail({ type: 'delete-conversation', conversationId });
    return done;
  }

  /** Waits for the next `conversation-list` (the caller sends `list-conversations`). */
  #page(): Promise<ConversationListPage> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<ConversationListPage> = {
        resolve,
        reject,
        timer: this.#timeout(() => remove(this.#pages, waiter), reject),
      };
      this.#pages.push(waiter);
    });
  }

  /** Waits for the relay to confirm a rename or delete of `conversationId`. */
  #change(conversationId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = this.#changes.get(conversationId) ?? [];
      const waiter: Waiter<void> = { resolve, reject, timer: this.#timeout(() => remove(list, waiter), reject) };
      list.push(waiter);
      this.#changes.set(conversationId, list);
    });
  }

  /** Applies a frame; returns true when it was one of the library's. */
  apply(frame: ConversationListFrame | ConversationRenamedFrame | ConversationDeletedFrame | ErrorFrame): void {
    if (frame.type === 'conversation-list') {
      const waiter = this.#pages.shift();
      if (!waiter) return;
      clearTimeout(waiter.timer);
      waiter.resolve({ conversations: frame.conversations, ...(frame.cursor ? { cursor: frame.cursor } : {}) });
      return;
    }
    const id = frame.type === 'error' ? frame.ref : frame.conversationId;
    const waiter = id === undefined ? undefined : this.#changes.get(id)?.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    if (frame.type === 'error') waiter.reject(new LlcClientError(frame.message));
    else waiter.resolve();
  }

  /** Fails what waits (offline, or the client closed). */
  failAll(reason: string): void {
    for (const w of this.#pages.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new LlcClientError(reason));
    }
    for (const list of this.#changes.values())
      for (const w of list.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new LlcClientError(reason));
      }
  }

  /** Offline, nothing would answer: every request waiting fails now. */
  #sendOrFail(frame: LibraryFrame): void {
    if (!this.#send(frame)) this.failAll('offline');
  }

  #timeout(drop: () => void, reject: (e: Error) => void): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      drop();
      reject(new LlcClientError('the relay did not answer in time'));
    }, LIBRARY_TIMEOUT_MS);
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i !== -1) list.splice(i, 1);
}

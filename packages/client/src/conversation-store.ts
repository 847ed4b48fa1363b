/**
 * The conversations a client shows: their messages in order, each once, and an immutable snapshot of each,
 * rebuilt only after a change. What the frames mean for them is decided by the ConversationSync; streams and the
 * outbox have units of their own (StreamTracker, Outbox).
 *
 * A conversation is held from `watch()` on. Reading one that is not held (`snapshot`, `message`) gives nothing and
 * holds nothing: only `watch()` starts following a conversation.
 */
import type { ChatMessage } from '@locallightchat/protocol';
import { mergeHistoryPage, type MergeTarget } from './history-merge.js';
import { isSettled, type ClientMessage, type ConversationSnapshot } from './types.js';

interface Conversation extends MergeTarget {
  id: string;
  hasMore: boolean;
  cursor?: string;
  snapshot?: ConversationSnapshot;
}

export class ConversationStore {
  readonly #conversations = new Map<string, Conversation>();

  /** Hears of every change of a conversation (any field of any message). */
  readonly #onChange: (conversationId: string) => void;

  constructor(onChange: (conversationId: string) => void) {
    this.#onChange = onChange;
  }

  /** Starts holding a conversation (the client subscribes to it on every connection). */
  watch(conversationId: string): void {
    if (this.#conversations.has(conversationId)) return;
    this.#conversations.set(conversationId, {
      id: conversationId,
      messages: [],
      byKey: new Map(),
      hasMore: false,
      historyLoaded: false,
      seeded: false,
    });
  }

  watches(conversationId: string): boolean {
    return this.#conversations.has(conversationId);
  }

  watched(): string[] {
    return [...this.#conversations.keys()];
  }

  /** Whether the relay's first history page of a held conversation has arrived. */
  historyLoaded(conversationId: string): boolean {
    return this.#conversations.get(conversationId)?.historyLoaded ?? false;
  }

  /** The current state of a conversation; an empty one (not held afterwards) for a conversation not held. */
  snapshot(conversationId: string): ConversationSnapshot {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return { id: conversationId, messages: [], hasMore: false, busy: false, historyLoaded: false };
    conv.snapshot ??= {
      id: conv.id,
      messages: [...conv.messages],
      hasMore: conv.hasMore,
      cursor: conv.cursor,
      busy: conv.messages.some((m) => !isSettled(m.status)),
      historyLoaded: conv.historyLoaded,
    };
    return conv.snapshot;
  }

  /** The messages of a held conversation, in order (the live objects: change them only through this store). */
  messages(conversationId: string): readonly ClientMessage[] {
    return this.#conversations.get(conversationId)?.messages ?? [];
  }

  /** The message with this key (client message id or stream id), if held. */
  message(conversationId: string, key: string): ClientMessage | undefined {
    return this.#conversations.get(conversationId)?.byKey.get(key);
  }

  /**
   * Shows cached messages (from the device) while the relay's history is on its way. Ignored once the
   * conversation holds anything; the first history page replaces what it does not confirm.
   */
  seed(conversationId: string, messages: readonly ClientMessage[]): void {
    const conv = this.#conversations.get(conversationId);
    if (!conv || conv.messages.length > 0 || conv.historyLoaded || messages.length === 0) return;
    for (const m of messages) this.#append(conv, { ...m, cached: true });
    conv.seeded = true;
    this.changed(conversationId);
  }

  /** Finished messages of a conversation, as they may be cached on the device. */
  cacheable(conversationId: string): ClientMessage[] {
    return this.messages(conversationId)
      .filter((m) => isSettled(m.status) && (m.status !== 'error' || m.role === 'assistant'))
      .map((m) => ({ ...m, cached: undefined }));
  }

  /** Adds a message after the last one, unless its key is held. False when not added. */
  insert(conversationId: string, message: ClientMessage): boolean {
    const conv = this.#conversations.get(conversationId);
    if (!conv || conv.byKey.has(message.key)) return false;
    this.#append(conv, message);
    return true;
  }

  /**
   * The answer of a stream, created when new (status `pending`) right after the message it replies to, or last
   * when that message is not held. Undefined when the conversation is not held.
   */
  answer(conversationId: string, streamId: string, replyTo: string): ClientMessage | undefined {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return undefined;
    const held = conv.byKey.get(streamId);
    if (held) return held;
    const message: ClientMessage = {
      key: streamId,
      role: 'assistant',
      text: '',
      reasoning: '',
      createdAt: Date.now(),
      status: 'pending',
      streamId,
      replyTo,
      lastSeq: 0,
    };
    const replyIndex = conv.messages.findIndex((m) => m.id === replyTo);
    if (replyIndex >= 0) {
      conv.messages.splice(replyIndex + 1, 0, message);
      conv.byKey.set(message.key, message);
    } else this.#append(conv, message);
    return message;
  }

  /** Empties a held conversation (it was deleted): no message, no older page. */
  clear(conversationId: string): void {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return;
    conv.messages.length = 0;
    conv.byKey.clear();
    conv.hasMore = false;
    conv.cursor = undefined;
    this.changed(conversationId);
  }

  /**
   * Stops showing the message with server id `fromId` and every later one (an edit or a regenerate starts
   * another branch there; the relay keeps them all); returns them. Nothing is deleted anywhere but on screen.
   */
  hideFrom(conversationId: string, fromId: string): ClientMessage[] {
    const conv = this.#conversations.get(conversationId);
    const index = conv?.messages.findIndex((m) => m.id === fromId) ?? -1;
    if (!conv || index === -1) return [];
    const removed = conv.messages.splice(index);
    for (const m of removed) conv.byKey.delete(m.key);
    return removed;
  }

  /**
   * Stops showing a conversation's branch (another one was selected): every message goes but the user's not yet
   * acknowledged ones, and the history is loaded again. Returns the messages removed.
   */
  hideBranch(conversationId: string): ClientMessage[] {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return [];
    const removed = conv.messages.filter((m) => m.role === 'assistant' || m.status !== 'pending');
    conv.messages = conv.messages.filter((m) => !removed.includes(m));
    for (const m of removed) conv.byKey.delete(m.key);
    conv.hasMore = false;
    conv.cursor = undefined;
    conv.historyLoaded = false;
    return removed;
  }

  /**
   * Merges a history page (see mergeHistoryPage) into a held conversation and notes whether older pages exist.
   * Returns the keys of local answers the page completed.
   */
  mergeHistory(
    conversationId: string,
    messages: readonly ChatMessage[],
    cursor: string | undefined,
    mayComplete: (key: string) => boolean,
  ): string[] {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return [];
    const completed = mergeHistoryPage(conv, messages, mayComplete);
    conv.hasMore = cursor !== undefined;
    conv.cursor = cursor;
    return completed;
  }

  /** Records that a held conversation changed (its messages were changed in place): a new snapshot, an event. */
  changed(conversationId: string): void {
    const conv = this.#conversations.get(conversationId);
    if (!conv) return;
    conv.snapshot = undefined;
    this.#onChange(conversationId);
  }

  #append(conv: Conversation, message: ClientMessage): void {
    conv.messages.push(message);
    conv.byKey.set(message.key, message);
  }
}

/**
 * In-memory Store for the embedded default. Bounded: conversations beyond `maxConversations` are evicted
 * least-recently-used, and each keeps at most `maxMessagesPerConversation` messages, so a long-running demo
 * cannot grow without limit.
 */
import type { ChatMessage } from '@locallightchat/protocol';
import { withDefaults } from '../options.js';
import { refund, reserve, type BucketState, type Reservation, type TokenBucketPolicy } from '../limits/token-bucket.js';
import {
  StoreUnavailableError,
  type SessionRecord,
  type AppendResult,
  type MessagePage,
  type Store,
  type StoreStatus,
} from './store.js';

/** Bounds of a {@link MemoryStore}; its constructor takes a partial (see {@link resolveMemoryStoreOptions}). */
export interface MemoryStoreOptions {
  /** Conversations kept (the least recently used is evicted past it); as many token buckets are kept. */
  maxConversations: number;
  /** Messages kept per conversation (the oldest is dropped past it). */
  maxMessagesPerConversation: number;
  /** Sessions kept for reconnects (the oldest is evicted past it). */
  maxSessions: number;
}

/** The bounds a {@link MemoryStore} has unless told otherwise. */
export const DEFAULT_MEMORY_STORE_OPTIONS: MemoryStoreOptions = {
  maxConversations: 100_000,
  maxMessagesPerConversation: 10_000,
  maxSessions: 100_000,
};

/** Full options from a partial (keys left out or `undefined` take their default). */
export function resolveMemoryStoreOptions(partial: Partial<MemoryStoreOptions> = {}): MemoryStoreOptions {
  return withDefaults(DEFAULT_MEMORY_STORE_OPTIONS, partial);
}

/** Raised when a conversation is written before {@link Store.claimConversation} (a caller's bug). */
export class ConversationNotClaimedError extends Error {
  override readonly name = 'ConversationNotClaimedError';
  constructor(readonly conversationId: string) {
    super(`conversation ${conversationId} was not claimed before use`);
  }
}

interface Conversation {
  owner: string;
  messages: ChatMessage[];
  /** The ids in `messages`: the duplicate check of every append stays O(1) in a long conversation. */
  ids: Set<string>;
  submitted: Set<string>;
}

/** The Store of the embedded default: everything in this process's memory, bounded (see the module comment). */
export class MemoryStore implements Store {
  private readonly conversations = new Map<string, Conversation>();
  private readonly options: MemoryStoreOptions;
  private readonly buckets = new Map<string, BucketState>();
  /** Insertion-ordered, so the oldest sessions are evicted first past `maxSessions`. */
  private readonly sessions = new Map<string, { record: SessionRecord; expiresAt: number }>();
  private closed = false;

  constructor(options: Partial<MemoryStoreOptions> = {}) {
    this.options = resolveMemoryStoreOptions(options);
  }

  get status(): StoreStatus {
    return this.closed ? 'closed' : 'connected';
  }

  async claimConversation(conversationId: string, userId: string): Promise<string> {
    this.assertOpen();
    const existing = this.touch(conversationId);
    if (existing) return existing.owner;
    this.conversations.set(conversationId, { owner: userId, messages: [], ids: new Set(), submitted: new Set() });
    if (this.conversations.size > this.options.maxConversations) {
      const oldest = this.conversations.keys().next().value;
      if (oldest !== undefined) this.conversations.delete(oldest);
    }
    return userId;
  }

  async appendMessage(conversationId: string, message: ChatMessage): Promise<AppendResult> {
    const conv = this.require(conversationId);
    if (conv.ids.has(message.id)) {
      return { inserted: false, submitted: conv.submitted.has(message.id) };
    }
    conv.messages.push({ ...message });
    conv.ids.add(message.id);
    if (conv.messages.length > this.options.maxMessagesPerConversation) {
      const dropped = conv.messages.shift();
      if (dropped) {
        conv.ids.delete(dropped.id);
        conv.submitted.delete(dropped.id);
      }
    }
    return { inserted: true, submitted: false };
  }

  async markSubmitted(conversationId: string, messageId: string): Promise<void> {
    this.require(conversationId).submitted.add(messageId);
  }

  async listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage> {
    this.assertOpen();
    const conv = this.touch(conversationId);
    if (!conv) return { messages: [] };
    let end = conv.messages.length;
    if (options.before !== undefined) {
      const index = conv.messages.findIndex((m) => m.id === options.before);
      end = index === -1 ? 0 : index;
    }
    const start = Math.max(0, end - options.limit);
    const messages = conv.messages.slice(start, end).map((m) => ({ ...m }));
    return start > 0 && messages.length > 0 ? { messages, cursor: messages[0]!.id } : { messages };
  }

  async truncateFrom(conversationId: string, messageId: string): Promise<number> {
    const conv = this.require(conversationId);
    const index = conv.messages.findIndex((m) => m.id === messageId);
    if (index === -1) return 0;
    const removed = conv.messages.splice(index);
    for (const m of removed) {
      conv.ids.delete(m.id);
      conv.submitted.delete(m.id);
    }
    return removed.length;
  }

  async reserveTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    this.assertOpen();
    const [result, next] = reserve(this.buckets.get(userId), policy, amount, Date.now());
    this.setBucket(userId, next, policy);
    return result;
  }

  async refundTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<void> {
    this.assertOpen();
    this.setBucket(userId, refund(this.buckets.get(userId), policy, amount, Date.now()), policy);
  }

  async saveSession(record: SessionRecord, ttlSec: number): Promise<void> {
    this.assertOpen();
    this.sessions.delete(record.sessionId);
    this.sessions.set(record.sessionId, {
      record: { ...record, conversations: [...record.conversations] },
      expiresAt: Date.now() + ttlSec * 1000,
    });
    if (this.sessions.size > this.options.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
  }

  async loadSession(sessionId: string): Promise<SessionRecord | undefined> {
    this.assertOpen();
    const entry = this.sessions.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return { ...entry.record, conversations: [...entry.record.conversations] };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * A full bucket is the same as none, so full ones are forgotten; past `maxConversations` buckets the least
   * recently used go too (a forgotten bucket counts as full: lenient, and memory stays bounded).
   */
  private setBucket(userId: string, state: BucketState, policy: TokenBucketPolicy): void {
    this.buckets.delete(userId);
    if (state.level >= policy.capacity) return;
    this.buckets.set(userId, state);
    if (this.buckets.size > this.options.maxConversations) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /** Looks a conversation up and marks it recently used. */
  private touch(conversationId: string): Conversation | undefined {
    const conv = this.conversations.get(conversationId);
    if (conv) {
      this.conversations.delete(conversationId);
      this.conversations.set(conversationId, conv);
    }
    return conv;
  }

  private require(conversationId: string): Conversation {
    this.assertOpen();
    const conv = this.touch(conversationId);
    if (!conv) throw new ConversationNotClaimedError(conversationId);
    return conv;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed');
  }
}

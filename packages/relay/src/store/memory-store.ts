/**
 * In-memory Store for the embedded default. Bounded without ever evicting a conversation (an evicted
 * conversation's id could be claimed by someone else): at `maxConversations` new claims are refused, each user
 * holds at most their quotas (./user-quotas.ts), and each conversation keeps at most
 * `maxMessagesPerConversation` messages (the oldest dropped), so a long-running demo cannot grow without limit.
 */
import type { ChatMessage, ConversationSummary } from '@locallightchat/protocol';
import { pageOf } from './conversation-cursor.js';
import { MessageTree } from './message-tree.js';
import { withDefaults } from '../options.js';
import { refund, reserve, type BucketState, type Reservation, type TokenBucketPolicy } from '../limits/token-bucket.js';
import {
  QuotaExceededError,
  StoreUnavailableError,
  storedBytes,
  type SessionRecord,
  type AppendOptions,
  type AppendResult,
  type ConversationPage,
  type ListConversationsOptions,
  type FeedbackRecord,
  type MessagePage,
  type Store,
  type StoreStatus,
} from './store.js';
import { DEFAULT_USER_QUOTAS, quotaMessage, type UserQuotas } from './user-quotas.js';
import { UploadByteLedger, type UploadReservation } from './upload-quota.js';

/** Bounds of a {@link MemoryStore}; its constructor takes a partial (see {@link resolveMemoryStoreOptions}). */
export interface MemoryStoreOptions extends UserQuotas {
  /** Conversations kept; further claims are refused (nothing is evicted). As many token buckets are kept. */
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
  ...DEFAULT_USER_QUOTAS,
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
  /** The owner's usage record (shared by all their conversations). */
  usage: Usage;
  /** Insertion order (the oldest are dropped past the bound). */
  messages: ChatMessage[];
  /** `messages` by id: the duplicate check of every append stays O(1) in a long conversation. */
  ids: Map<string, ChatMessage>;
  /** The message tree (./message-tree.ts). */
  tree: MessageTree;
  submitted: Set<string>;
  /** By stream id. */
  feedback: Map<string, FeedbackRecord>;
  title?: string;
  createdAt: number;
  /** Last message or rename (the conversation list's order). */
  updatedAt: number;
}

/** What one user holds. */
interface Usage {
  conversations: number;
  bytes: number;
  messages: number;
}

/** The Store of the embedded default: everything in this process's memory, bounded (see the module comment). */
export class MemoryStore implements Store {
  private readonly conversations = new Map<string, Conversation>();
  private readonly options: MemoryStoreOptions;
  private readonly buckets = new Map<string, BucketState>();
  private readonly usage = new Map<string, Usage>();
  /** The conversation ids each user owns (their conversation list). */
  private readonly owned = new Map<string, Set<string>>();
  private readonly rates = new Map<string, BucketState>();
  private readonly uploadBytes = new UploadByteLedger();
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
    const existing = this.conversations.get(conversationId);
    if (existing) return existing.owner;
    const usage = this.usageOf(userId);
    if (usage.conversations >= this.options.maxConversationsPerUser) {
      throw new QuotaExceededError('conversations', quotaMessage(this.options, 'conversations'));
    }
    if (this.conversations.size >= this.options.maxConversations) {
      throw new QuotaExceededError('store-full', 'the server holds as many conversations as it may');
    }
    usage.conversations++;
    const now = Date.now();
    this.conversations.set(conversationId, {
      owner: userId,
      usage,
      messages: [],
      ids: new Map(),
      tree: new MessageTree(),
      submitted: new Set(),
      feedback: new Map(),
      createdAt: now,
      updatedAt: now,
    });
    this.ownedBy(userId).add(conversationId);
    return userId;
  }

  async ownerOf(conversationId: string): Promise<string | undefined> {
    this.assertOpen();
    return this.conversations.get(conversationId)?.owner;
  }

  async appendMessage(
    conversationId: string,
    message: ChatMessage,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const conv = this.require(conversationId);
    if (conv.ids.has(message.id)) {
      return { inserted: false, submitted: conv.submitted.has(message.id) };
    }
    const bytes = storedBytes(message);
    const { usage } = conv;
    if (message.role !== 'assistant') {
      if (usage.bytes + bytes > this.options.maxBytesPerUser) {
        throw new QuotaExceededError('bytes', quotaMessage(this.options, 'bytes'));
      }
      if (usage.messages + 1 > this.options.maxMessagesPerUser) {
        throw new QuotaExceededError('messages', quotaMessage(this.options, 'messages'));
      }
    }
    const stored = { ...message };
    delete stored.parentId;
    delete stored.siblings;
    conv.messages.push(stored);
    conv.ids.set(message.id, stored);
    const parentId = options.parentId === undefined ? conv.tree.leaf() : (options.parentId ?? '');
    conv.tree.add(message.id, parentId, options.showBranch);
    conv.updatedAt = Math.max(conv.updatedAt, Date.now());
    usage.bytes += bytes;
    usage.messages++;
    if (conv.messages.length > this.options.maxMessagesPerConversation) {
      const dropped = conv.messages.shift();
      if (dropped) {
        this.forget(conv, [dropped]);
        conv.tree.remove(dropped.id);
      }
    }
    return { inserted: true, submitted: false };
  }

  async markSubmitted(conversationId: string, messageId: string): Promise<void> {
    this.require(conversationId).submitted.add(messageId);
  }

  async listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv) return { messages: [] };
    const path = conv.tree.path();
    let end = path.length;
    if (options.before !== undefined) {
      const index = path.indexOf(options.before);
      end = index === -1 ? 0 : index;
    }
    const start = Math.max(0, end - options.limit);
    const messages = path.slice(start, end).map((id) => this.annotated(conv, id));
    return start > 0 && messages.length > 0 ? { messages, cursor: messages[0]!.id } : { messages };
  }

  async messagesTo(conversationId: string, messageId: string, limit: number): Promise<ChatMessage[]> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv || !conv.ids.has(messageId)) return [];
    return conv.tree
      .ancestry(messageId, limit)
      .filter((id) => conv.ids.has(id))
      .map((id) => this.annotated(conv, id));
  }

  async selectBranch(conversationId: string, messageId: string): Promise<boolean> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv || !conv.ids.has(messageId)) return false;
    return conv.tree.select(messageId);
  }

  async listConversations(userId: string, options: ListConversationsOptions): Promise<ConversationPage> {
    this.assertOpen();
    const summaries: ConversationSummary[] = [];
    for (const id of this.owned.get(userId) ?? []) {
      const conv = this.conversations.get(id)!;
      summaries.push({
        conversationId: id,
        ...(conv.title !== undefined ? { title: conv.title } : {}),
        createdAt: conv.createdAt,
        updatedAt: conv.updatedAt,
      });
    }
    return pageOf(summaries, options);
  }

  async setConversationTitle(
    conversationId: string,
    userId: string,
    title: string,
    options: { ifUnset?: boolean } = {},
  ): Promise<boolean> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv || conv.owner !== userId || (options.ifUnset && conv.title !== undefined)) return false;
    conv.title = title;
    // A rename is activity (the list shows it first); an automatic title is not.
    if (!options.ifUnset) conv.updatedAt = Math.max(conv.updatedAt, Date.now());
    return true;
  }

  async deleteConversation(conversationId: string, userId: string): Promise<boolean> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv || conv.owner !== userId) return false;
    this.forget(conv, conv.messages.splice(0));
    conv.usage.conversations--;
    this.conversations.delete(conversationId);
    this.owned.get(userId)?.delete(conversationId);
    return true;
  }

  async saveFeedback(record: FeedbackRecord): Promise<boolean> {
    this.assertOpen();
    const conv = this.conversations.get(record.conversationId);
    if (!conv || conv.owner !== record.userId) return false;
    conv.feedback.set(record.streamId, { ...record });
    return true;
  }

  async listFeedback(conversationId: string, userId: string): Promise<FeedbackRecord[]> {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv || conv.owner !== userId) return [];
    return [...conv.feedback.values()].map((f) => ({ ...f })).sort((a, b) => a.createdAt - b.createdAt);
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

  async consumeRate(key: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    this.assertOpen();
    const [result, next] = reserve(this.rates.get(key), policy, amount, Date.now());
    this.rates.delete(key);
    // A full bucket is the same as none; past `maxSessions` buckets the least recently used go (lenient).
    if (next.level < policy.capacity) this.rates.set(key, next);
    if (this.rates.size > this.options.maxSessions) this.rates.delete(this.rates.keys().next().value!);
    return result;
  }

  async reserveUploadBytes(userId: string, bytes: number, limit: number): Promise<UploadReservation> {
    this.assertOpen();
    return this.uploadBytes.reserve(userId, bytes, limit);
  }

  async releaseUploadBytes(userId: string, bytes: number): Promise<void> {
    this.assertOpen();
    this.uploadBytes.release(userId, bytes);
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

  private ownedBy(userId: string): Set<string> {
    let ids = this.owned.get(userId);
    if (!ids) this.owned.set(userId, (ids = new Set()));
    return ids;
  }

  private usageOf(userId: string): Usage {
    let usage = this.usage.get(userId);
    if (!usage) this.usage.set(userId, (usage = { conversations: 0, bytes: 0, messages: 0 }));
    return usage;
  }

  /** A stored message with its place in the tree (a copy). */
  private annotated(conv: Conversation, id: string): ChatMessage {
    const message = { ...this.byId(conv, id) };
    const parentId = conv.tree.parentOf(id);
    if (parentId) message.parentId = parentId;
    const siblings = conv.tree.childrenOf(parentId ?? '');
    if (siblings.length > 1) message.siblings = [...siblings];
    return message;
  }

  private byId(conv: Conversation, id: string): ChatMessage {
    return conv.ids.get(id)!;
  }

  /** Drops removed messages from a conversation's indexes and gives their room back to the owner. */
  private forget(conv: Conversation, removed: readonly ChatMessage[]): void {
    for (const m of removed) {
      conv.ids.delete(m.id);
      conv.submitted.delete(m.id);
      conv.usage.bytes -= storedBytes(m);
      conv.usage.messages--;
    }
  }

  private require(conversationId: string): Conversation {
    this.assertOpen();
    const conv = this.conversations.get(conversationId);
    if (!conv) throw new ConversationNotClaimedError(conversationId);
    return conv;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed');
  }
}

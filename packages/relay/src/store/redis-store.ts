/**
 * Store over Redis (ioredis). Keys of one conversation share a hash tag (`llc:{c:<id>}:…`, layout in
 * redis-keys.ts), so they live in one slot of a Redis Cluster and every multi-key step runs as one Lua script
 * (atomic, one round trip). A claim or append touches a user's slot and a conversation's slot in two scripts; a
 * step refused by a quota changes nothing, a step undone (a lost claim race, a duplicate append) gives back what
 * it took.
 *
 * Redis must not evict keys (`maxmemory-policy noeviction`): an evicted owner record would free its id.
 *
 * Every write refreshes the conversation's TTL, so idle conversations expire. While Redis is unreachable,
 * calls fail fast with StoreUnavailableError (no offline queue): the relay answers with a retryable error
 * and the client's outbox retries, instead of requests piling up in memory.
 */
import type { ChatMessage, ConversationSummary } from '@locallightchat/protocol';
import { pageOf } from './conversation-cursor.js';
import { Redis, ReplyError } from 'ioredis';
import type { Reservation, TokenBucketPolicy } from '../limits/token-bucket.js';
import { ConversationNotClaimedError } from './memory-store.js';
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

import { quotaMessage, type UserQuotas } from './user-quotas.js';
import { DELETED_PARTS, RedisKeys, treeRows } from './redis-keys.js';
import { resolveRedisStoreOptions, type RedisStoreOptions } from './redis-store-options.js';

export {
  DEFAULT_REDIS_STORE_OPTIONS,
  resolveRedisStoreOptions,
  type RedisStoreOptions,
} from './redis-store-options.js';
import type { UploadReservation } from './upload-quota.js';
import { RedisUploadQuota } from './upload-quota-redis.js';
import { defineScripts, type Commands } from './redis-scripts.js';
import { BucketBatcher } from './redis-buckets.js';

/** The Store over Redis: history, ownership, dedup, sessions and token budgets shared by every relay node. */
export class RedisStore implements Store {
  private readonly redis: Redis & Commands;
  private readonly names: RedisKeys;
  private readonly buckets: BucketBatcher;
  private readonly ttl: number;
  private readonly maxMessages: number;
  private readonly quotas: UserQuotas;
  private readonly uploadQuota: RedisUploadQuota;
  private currentStatus: StoreStatus = 'reconnecting';

  private constructor(options: RedisStoreOptions) {
    this.names = new RedisKeys(options.prefix);
    this.ttl = options.conversationTtlSec;
    this.maxMessages = options.maxMessagesPerConversation;
    this.quotas = options;
    this.redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: true,
      ...options.redis,
    }) as Redis & Commands;
    defineScripts(this.redis, DELETED_PARTS.length);
    this.buckets = new BucketBatcher(this.redis);
    this.uploadQuota = new RedisUploadQuota(
      this.redis,
      (u) => this.names.user(u, 'uploads'),
      (fn) => this.call(fn),
    );
    this.redis.on('ready', () => (this.currentStatus = 'connected'));
    this.redis.on('reconnecting', () => (this.currentStatus = 'reconnecting'));
    this.redis.on('close', () => this.markDisconnected());
    this.redis.on('end', () => (this.currentStatus = 'closed'));
    // Errors surface through the failing command; without a listener ioredis would log every retry.
    this.redis.on('error', () => undefined);
  }

  /** Connects (fails with StoreUnavailableError when Redis cannot be reached). */
  static async connect(partial: Partial<RedisStoreOptions> & Pick<RedisStoreOptions, 'url'>): Promise<RedisStore> {
    const options = resolveRedisStoreOptions(partial);
    const store = new RedisStore(options);
    try {
      await store.redis.connect();
    } catch (error) {
      store.redis.disconnect();
      throw new StoreUnavailableError(
        `cannot connect to Redis at ${options.url}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return store;
  }

  get status(): StoreStatus {
    return this.currentStatus;
  }

  /** The underlying client, for adapters that share the connection (rate limiting). */
  get client(): Redis {
    return this.redis;
  }

  async claimConversation(conversationId: string, userId: string): Promise<string> {
    const key = this.names.conversation(conversationId, 'owner');
    const owned = this.names.user(userId, 'convs');
    const owner = await this.call(async () => {
      const existing = await this.redis.get(key);
      if (existing === userId) {
        await this.redis.expire(key, this.ttl);
        return existing;
      }
      if (existing !== null) return existing;
      const admitted = await this.redis.llcClaimQuota(
        owned,
        conversationId,
        this.quotas.maxConversationsPerUser,
        this.ttl * 1000,
      );
      if (admitted !== 1) return undefined;
      if ((await this.redis.set(key, userId, 'EX', this.ttl, 'NX')) === 'OK') {
        await this.touch(conversationId, userId, true);
        return userId;
      }
      // Another user claimed it between our read and write: give the quota slot back.
      await this.redis.zrem(owned, conversationId);
      return (await this.redis.get(key)) ?? userId;
    });
    if (owner === undefined) throw new QuotaExceededError('conversations', quotaMessage(this.quotas, 'conversations'));
    return owner;
  }

  async ownerOf(conversationId: string): Promise<string | undefined> {
    return (await this.call(() => this.redis.get(this.names.conversation(conversationId, 'owner')))) ?? undefined;
  }

  async appendMessage(
    conversationId: string,
    message: ChatMessage,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const k = this.names.conversationKeys(conversationId);
    const owner = await this.ownerOf(conversationId);
    if (owner === undefined) throw new ConversationNotClaimedError(conversationId);
    // The tree keeps the parent and the siblings (./redis-scripts.ts); the message is stored without them.
    const { parentId: _parent, siblings: _siblings, ...plain } = message;
    const json = JSON.stringify(plain);
    const bytes = storedBytes(message);
    const taken = await this.adjustUsage(owner, bytes, 1, message.role !== 'assistant');
    if (taken !== 1) {
      // A retry of a stored message is not refused: it stores nothing.
      const [known, submitted] = await this.call(() =>
        Promise.all([this.redis.hexists(k.data, message.id), this.redis.sismember(k.submitted, message.id)]),
      );
      if (known === 1) return { inserted: false, submitted: submitted === 1 };
      const kind = taken === 0 ? 'bytes' : 'messages';
      throw new QuotaExceededError(kind, quotaMessage(this.quotas, kind));
    }
    const [inserted, submitted, freedBytes, freedCount] = await this.call(() =>
      this.redis.llcAppend(
        k.order,
        k.data,
        k.submitted,
        k.seq,
        k.owner,
        k.parent,
        k.kids,
        k.shown,
        message.id,
        json,
        this.ttl,
        this.maxMessages,
        options.parentId === undefined ? 'leaf' : 'id',
        options.parentId ?? '',
        options.showBranch ? '1' : '0',
      ),
    );
    // A duplicate stored nothing; dropped old messages free their room.
    const giveBackBytes = (inserted === 1 ? 0 : bytes) + freedBytes;
    const giveBackCount = (inserted === 1 ? 0 : 1) + freedCount;
    if (giveBackCount > 0) await this.adjustUsage(owner, -giveBackBytes, -giveBackCount, false);
    if (inserted === 1) await this.touch(conversationId, owner, false);
    return { inserted: inserted === 1, submitted: submitted === 1 };
  }

  async markSubmitted(conversationId: string, messageId: string): Promise<void> {
    const key = this.names.conversation(conversationId, 'submitted');
    const owner = this.names.conversation(conversationId, 'owner');
    await this.call(() => this.redis.multi().sadd(key, messageId).expire(key, this.ttl).expire(owner, this.ttl).exec());
  }

  async listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage> {
    const k = this.names.conversationKeys(conversationId);
    const [start, ...rows] = await this.call(() =>
      this.redis.llcList(
        k.order,
        k.data,
        k.parent,
        k.kids,
        k.shown,
        options.before ?? '',
        options.limit,
        this.maxMessages,
      ),
    );
    const messages = treeRows(rows.map(String));
    return Number(start) > 0 && messages.length > 0 ? { messages, cursor: messages[0]!.id } : { messages };
  }

  async messagesTo(conversationId: string, messageId: string, limit: number): Promise<ChatMessage[]> {
    const k = this.names.conversationKeys(conversationId);
    const rows = await this.call(() =>
      this.redis.llcAncestry(k.order, k.data, k.parent, k.kids, k.shown, messageId, limit),
    );
    return treeRows(rows);
  }

  async selectBranch(conversationId: string, messageId: string): Promise<boolean> {
    const k = this.names.conversationKeys(conversationId);
    const selected = await this.call(() =>
      this.redis.llcSelectBranch(k.order, k.data, k.parent, k.kids, k.shown, messageId),
    );
    return selected === 1;
  }

  async listConversations(userId: string, options: ListConversationsOptions): Promise<ConversationPage> {
    const recent = this.names.user(userId, 'recent');
    const ids = await this.call(() => this.redis.zrange(recent, '0', '-1'));
    const metas = await this.call(() =>
      Promise.all(
        ids.map((id) => this.redis.hmget(this.names.conversation(id, 'meta'), 'title', 'createdAt', 'updatedAt')),
      ),
    );
    const summaries: ConversationSummary[] = [];
    const gone: string[] = [];
    metas.forEach(([title, createdAt, updatedAt], i) => {
      // Expired with its conversation: drop it from the list.
      if (createdAt === null || updatedAt === null) return void gone.push(ids[i]!);
      summaries.push({
        conversationId: ids[i]!,
        ...(title !== null ? { title } : {}),
        createdAt: Number(createdAt),
        updatedAt: Number(updatedAt),
      });
    });
    if (gone.length) await this.call(() => this.redis.zrem(recent, ...gone));
    return pageOf(summaries, options);
  }

  async setConversationTitle(
    conversationId: string,
    userId: string,
    title: string,
    options: { ifUnset?: boolean } = {},
  ): Promise<boolean> {
    const now = Date.now();
    const set = await this.call(() =>
      this.redis.llcSetTitle(
        this.names.conversation(conversationId, 'owner'),
        this.names.conversation(conversationId, 'meta'),
        userId,
        title,
        options.ifUnset ? '1' : '0',
        now,
        this.ttl,
      ),
    );
    if (set === 1 && !options.ifUnset)
      await this.call(() => this.redis.zadd(this.names.user(userId, 'recent'), now, conversationId));
    return set === 1;
  }

  async deleteConversation(conversationId: string, userId: string): Promise<boolean> {
    const keys = this.names.deletedParts(conversationId);
    const [count, bytes] = await this.call(() => this.redis.llcDeleteConversation(...keys, userId));
    if (count < 0) return false;
    await this.call(() =>
      Promise.all([
        this.redis.zrem(this.names.user(userId, 'convs'), conversationId),
        this.redis.zrem(this.names.user(userId, 'recent'), conversationId),
      ]),
    );
    if (count > 0) await this.adjustUsage(userId, -bytes, -count, false);
    return true;
  }

  async saveFeedback(record: FeedbackRecord): Promise<boolean> {
    const owner = this.names.conversation(record.conversationId, 'owner');
    const feedback = this.names.conversation(record.conversationId, 'feedback');
    const json = JSON.stringify(record);
    const saved = await this.call(() =>
      this.redis.llcSaveFeedback(owner, feedback, record.userId, record.streamId, json, this.ttl),
    );
    return saved === 1;
  }

  async listFeedback(conversationId: string, userId: string): Promise<FeedbackRecord[]> {
    const [owner, all] = await this.call(() =>
      Promise.all([
        this.redis.get(this.names.conversation(conversationId, 'owner')),
        this.redis.hgetall(this.names.conversation(conversationId, 'feedback')),
      ]),
    );
    if (owner !== userId) return [];
    return Object.values(all)
      .map((json) => JSON.parse(json) as FeedbackRecord)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  reserveTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    return this.bucket(this.names.user(userId, 'tokens'), amount, policy);
  }

  async refundTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<void> {
    await this.call(() =>
      this.redis.llcBucket(
        this.names.user(userId, 'tokens'),
        amount,
        policy.capacity,
        policy.refillPerSecond,
        'refund',
      ),
    );
  }

  consumeRate(key: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    return this.bucket(this.names.rate(key), amount, policy);
  }

  /** Takes `amount` from the token bucket at `key` (BUCKET: refilled by elapsed time, atomically). */
  private async bucket(key: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    const [ok, remaining, retry] = await this.call(() => this.buckets.reserve(key, amount, policy));
    if (ok === 1) return { ok: true, remaining };
    return retry < 0 ? { ok: false, remaining } : { ok: false, remaining, retryAfterMs: retry };
  }

  reserveUploadBytes(userId: string, bytes: number, limit: number): Promise<UploadReservation> {
    return this.uploadQuota.reserveUploadBytes(userId, bytes, limit);
  }

  releaseUploadBytes(userId: string, bytes: number): Promise<void> {
    return this.uploadQuota.releaseUploadBytes(userId, bytes);
  }

  async saveSession(record: SessionRecord, ttlSec: number): Promise<void> {
    await this.call(() =>
      this.redis.set(
        this.names.session(record.sessionId),
        JSON.stringify(record),
        'EX',
        Math.max(1, Math.ceil(ttlSec)),
      ),
    );
  }

  async loadSession(sessionId: string): Promise<SessionRecord | undefined> {
    const json = await this.call(() => this.redis.get(this.names.session(sessionId)));
    return json ? (JSON.parse(json) as SessionRecord) : undefined;
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
    this.currentStatus = 'closed';
  }

  /** Adds to a user's stored bytes and messages; when `enforce`, refuses (0 bytes, -1 messages) past a quota. */
  private adjustUsage(userId: string, bytes: number, count: number, enforce: boolean): Promise<number> {
    const { maxBytesPerUser, maxMessagesPerUser } = this.quotas;
    return this.call(() =>
      this.redis.llcUsage(
        this.names.user(userId, 'usage'),
        bytes,
        count,
        maxBytesPerUser,
        maxMessagesPerUser,
        enforce ? 1 : 0,
        this.ttl,
      ),
    );
  }

  /** Records activity on a conversation: its meta hash and its place in the owner's list. */
  private async touch(conversationId: string, userId: string, created: boolean): Promise<void> {
    const meta = this.names.conversation(conversationId, 'meta');
    const now = Date.now();
    await this.call(() =>
      Promise.all([
        created ? this.redis.hset(meta, 'createdAt', now, 'updatedAt', now) : this.redis.hset(meta, 'updatedAt', now),
        this.redis.expire(meta, this.ttl),
        this.redis.zadd(this.names.user(userId, 'recent'), now, conversationId),
      ]),
    );
  }

  private markDisconnected(): void {
    if (this.currentStatus !== 'closed') this.currentStatus = 'reconnecting';
  }

  /** Runs a Redis call, turning connection failures into StoreUnavailableError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      // A command can fail on a dead socket before ioredis emits 'close'; a reply error means Redis is up.
      if (!(error instanceof ReplyError)) this.markDisconnected();
      throw new StoreUnavailableError(`Redis: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

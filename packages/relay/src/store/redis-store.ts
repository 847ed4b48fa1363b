/**
 * Store over Redis (ioredis). Keys of one conversation share a hash tag — `llc:{c:<id>}:…` — so they live in
 * one slot of a Redis Cluster and every multi-key step runs as one Lua script (atomic, one round trip).
 *
 *   …:owner      string  the user who claimed the conversation (its TTL is refreshed with every write, so it
 *                        never expires before the messages: an id cannot be claimed while anything of it is kept)
 *   …:order      zset    message id → insertion counter (history order)
 *   …:data       hash    message id → JSON message
 *   …:submitted  set     user message ids handed to the broker
 *   …:seq        string  insertion counter
 *   …:feedback   hash    stream id → JSON FeedbackRecord (written only while the owner matches)
 *   …:meta       hash    title, createdAt, updatedAt (the conversation list)
 *   …:parent     hash    message id → parent id ('' for a first message)   } the message tree: edits and
 *   …:kids       hash    parent id → child ids, space-separated, oldest first } regenerates add branches
 *   …:shown      hash    parent id → the child shown (the active path)      } (see message-tree.ts)
 *
 * Per user (hash tag `{u:<id>}`): `…:recent` (zset of owned conversation ids → last activity, the user's
 * conversation list), `…:convs` (zset of owned conversation ids → expiry, for the conversation
 * quota), `…:usage` (hash of stored bytes and messages, for the byte and message quotas), `…:tokens` (the
 * token bucket) and `…:uploads` (bytes held in uploads, ./upload-quota-redis.ts). A claim or append touches a
 * user's slot and a conversation's slot in two scripts; a step refused by a quota changes nothing, a step undone
 * (a lost claim race, a duplicate append) gives back what it took.
 *
 * Redis must not evict keys (`maxmemory-policy noeviction`): an evicted owner record would free its id.
 *
 * Every write refreshes the conversation's TTL, so idle conversations expire. While Redis is unreachable,
 * calls fail fast with StoreUnavailableError (no offline queue): the relay answers with a retryable error
 * and the client's outbox retries, instead of requests piling up in memory.
 */
import type { ChatMessage, ConversationSummary } from '@locallightchat/protocol';
import { pageOf } from './conversation-cursor.js';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import type { Reservation, TokenBucketPolicy } from '../limits/token-bucket.js';
import { withDefaults } from '../options.js';
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

/** A conversation's keys, owner record, order and data first (DELETE_CONVERSATION reads those three). */
const DELETED_PARTS = [
  'owner',
  'order',
  'data',
  'submitted',
  'seq',
  'feedback',
  'meta',
  'parent',
  'kids',
  'shown',
] as const;

/** Settings of a {@link RedisStore}; {@link RedisStore.connect} takes the url and a partial of the rest. */
export interface RedisStoreOptions extends UserQuotas {
  /** redis://host:port/db */
  url: string;
  /** Key prefix, to share one Redis between deployments. */
  prefix: string;
  /** Idle conversations expire after this long, seconds. */
  conversationTtlSec: number;
  /** Messages kept per conversation (oldest dropped first). */
  maxMessagesPerConversation: number;
  /** Extra ioredis options. */
  redis?: RedisOptions;
}

/** The settings a {@link RedisStore} has unless told otherwise (30 days of idle life per conversation). */
export const DEFAULT_REDIS_STORE_OPTIONS: Omit<RedisStoreOptions, 'url' | 'redis'> = {
  prefix: 'llc',
  conversationTtlSec: 30 * 24 * 3600,
  maxMessagesPerConversation: 10_000,
  ...DEFAULT_USER_QUOTAS,
};

/** Full options from the url and a partial of the rest (keys left out or `undefined` take their default). */
export function resolveRedisStoreOptions(
  partial: Partial<RedisStoreOptions> & Pick<RedisStoreOptions, 'url'>,
): RedisStoreOptions {
  return withDefaults(DEFAULT_REDIS_STORE_OPTIONS, partial);
}

import { DEFAULT_USER_QUOTAS, quotaMessage, type UserQuotas } from './user-quotas.js';
import type { UploadReservation } from './upload-quota.js';
import { RedisUploadQuota } from './upload-quota-redis.js';
import {
  BUCKET,
  CLAIM_QUOTA,
  LIST,
  ANCESTRY,
  SELECT_BRANCH,
  APPEND,
  USAGE,
  SAVE_FEEDBACK,
  SET_TITLE,
  DELETE_CONVERSATION,
  type Commands,
} from './redis-scripts.js';

/** Messages from the tree scripts' rows (JSON, parent id or '', siblings space-separated or ''; see LIST). */
function treeRows(rows: readonly string[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let i = 0; i + 2 < rows.length; i += 3) {
    if (!rows[i]) continue;
    const message = JSON.parse(rows[i]!) as ChatMessage;
    if (rows[i + 1]) message.parentId = rows[i + 1]!;
    if (rows[i + 2]) message.siblings = rows[i + 2]!.split(' ');
    messages.push(message);
  }
  return messages;
}

/** The Store over Redis: history, ownership, dedup, sessions and token budgets shared by every relay node. */
export class RedisStore implements Store {
  private readonly redis: Redis & Commands;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly maxMessages: number;
  private readonly quotas: UserQuotas;
  private readonly uploadQuota: RedisUploadQuota;
  private currentStatus: StoreStatus = 'reconnecting';

  private constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
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
    this.redis.defineCommand('llcAppend', { numberOfKeys: 8, lua: APPEND });
    this.redis.defineCommand('llcClaimQuota', { numberOfKeys: 1, lua: CLAIM_QUOTA });
    this.redis.defineCommand('llcUsage', { numberOfKeys: 1, lua: USAGE });
    this.redis.defineCommand('llcList', { numberOfKeys: 5, lua: LIST });
    this.redis.defineCommand('llcAncestry', { numberOfKeys: 5, lua: ANCESTRY });
    this.redis.defineCommand('llcSelectBranch', { numberOfKeys: 5, lua: SELECT_BRANCH });
    this.redis.defineCommand('llcSetTitle', { numberOfKeys: 2, lua: SET_TITLE });
    this.redis.defineCommand('llcDeleteConversation', { numberOfKeys: DELETED_PARTS.length, lua: DELETE_CONVERSATION });
    this.redis.defineCommand('llcSaveFeedback', { numberOfKeys: 2, lua: SAVE_FEEDBACK });
    this.redis.defineCommand('llcBucket', { numberOfKeys: 1, lua: BUCKET });
    this.uploadQuota = new RedisUploadQuota(
      this.redis,
      (u) => this.userKey(u, 'uploads'),
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
    const key = this.key(conversationId, 'owner');
    const owned = this.userKey(userId, 'convs');
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
    return (await this.call(() => this.redis.get(this.key(conversationId, 'owner')))) ?? undefined;
  }

  async appendMessage(
    conversationId: string,
    message: ChatMessage,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const k = this.keys(conversationId);
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
    const key = this.key(conversationId, 'submitted');
    const owner = this.key(conversationId, 'owner');
    await this.call(() => this.redis.multi().sadd(key, messageId).expire(key, this.ttl).expire(owner, this.ttl).exec());
  }

  async listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage> {
    const k = this.keys(conversationId);
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
    const k = this.keys(conversationId);
    const rows = await this.call(() =>
      this.redis.llcAncestry(k.order, k.data, k.parent, k.kids, k.shown, messageId, limit),
    );
    return treeRows(rows);
  }

  async selectBranch(conversationId: string, messageId: string): Promise<boolean> {
    const k = this.keys(conversationId);
    const selected = await this.call(() =>
      this.redis.llcSelectBranch(k.order, k.data, k.parent, k.kids, k.shown, messageId),
    );
    return selected === 1;
  }

  async listConversations(userId: string, options: ListConversationsOptions): Promise<ConversationPage> {
    const recent = this.userKey(userId, 'recent');
    const ids = await this.call(() => this.redis.zrange(recent, '0', '-1'));
    const metas = await this.call(() =>
      Promise.all(ids.map((id) => this.redis.hmget(this.key(id, 'meta'), 'title', 'createdAt', 'updatedAt'))),
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
        this.key(conversationId, 'owner'),
        this.key(conversationId, 'meta'),
        userId,
        title,
        options.ifUnset ? '1' : '0',
        now,
        this.ttl,
      ),
    );
    if (set === 1 && !options.ifUnset)
      await this.call(() => this.redis.zadd(this.userKey(userId, 'recent'), now, conversationId));
    return set === 1;
  }

  async deleteConversation(conversationId: string, userId: string): Promise<boolean> {
    const keys = DELETED_PARTS.map((part) => this.key(conversationId, part));
    const [count, bytes] = await this.call(() => this.redis.llcDeleteConversation(...keys, userId));
    if (count < 0) return false;
    await this.call(() =>
      Promise.all([
        this.redis.zrem(this.userKey(userId, 'convs'), conversationId),
        this.redis.zrem(this.userKey(userId, 'recent'), conversationId),
      ]),
    );
    if (count > 0) await this.adjustUsage(userId, -bytes, -count, false);
    return true;
  }

  async saveFeedback(record: FeedbackRecord): Promise<boolean> {
    const owner = this.key(record.conversationId, 'owner');
    const feedback = this.key(record.conversationId, 'feedback');
    const json = JSON.stringify(record);
    const saved = await this.call(() =>
      this.redis.llcSaveFeedback(owner, feedback, record.userId, record.streamId, json, this.ttl),
    );
    return saved === 1;
  }

  async listFeedback(conversationId: string, userId: string): Promise<FeedbackRecord[]> {
    const [owner, all] = await this.call(() =>
      Promise.all([
        this.redis.get(this.key(conversationId, 'owner')),
        this.redis.hgetall(this.key(conversationId, 'feedback')),
      ]),
    );
    if (owner !== userId) return [];
    return Object.values(all)
      .map((json) => JSON.parse(json) as FeedbackRecord)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async reserveTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    const [ok, remaining, retry] = await this.call(() =>
      this.redis.llcBucket(this.bucketKey(userId), amount, policy.capacity, policy.refillPerSecond, 'reserve'),
    );
    if (ok === 1) return { ok: true, remaining };
    return retry < 0 ? { ok: false, remaining } : { ok: false, remaining, retryAfterMs: retry };
  }

  async refundTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<void> {
    await this.call(() =>
      this.redis.llcBucket(this.bucketKey(userId), amount, policy.capacity, policy.refillPerSecond, 'refund'),
    );
  }

  async consumeRate(key: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation> {
    const [ok, remaining, retry] = await this.call(() =>
      this.redis.llcBucket(
        `${this.prefix}:{r:${key}}:rate`,
        amount,
        policy.capacity,
        policy.refillPerSecond,
        'reserve',
      ),
    );
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
      this.redis.set(this.sessionKey(record.sessionId), JSON.stringify(record), 'EX', Math.max(1, Math.ceil(ttlSec))),
    );
  }

  async loadSession(sessionId: string): Promise<SessionRecord | undefined> {
    const json = await this.call(() => this.redis.get(this.sessionKey(sessionId)));
    return json ? (JSON.parse(json) as SessionRecord) : undefined;
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
    this.currentStatus = 'closed';
  }

  private key(conversationId: string, part: string): string {
    return `${this.prefix}:{c:${conversationId}}:${part}`;
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}`;
  }

  private bucketKey(userId: string): string {
    return this.userKey(userId, 'tokens');
  }

  private userKey(userId: string, part: string): string {
    return `${this.prefix}:{u:${userId}}:${part}`;
  }

  /** Adds to a user's stored bytes and messages; when `enforce`, refuses (0 bytes, -1 messages) past a quota. */
  private adjustUsage(userId: string, bytes: number, count: number, enforce: boolean): Promise<number> {
    const { maxBytesPerUser, maxMessagesPerUser } = this.quotas;
    return this.call(() =>
      this.redis.llcUsage(
        this.userKey(userId, 'usage'),
        bytes,
        count,
        maxBytesPerUser,
        maxMessagesPerUser,
        enforce ? 1 : 0,
        this.ttl,
      ),
    );
  }

  private keys(conversationId: string) {
    return {
      order: this.key(conversationId, 'order'),
      data: this.key(conversationId, 'data'),
      submitted: this.key(conversationId, 'submitted'),
      seq: this.key(conversationId, 'seq'),
      owner: this.key(conversationId, 'owner'),
      parent: this.key(conversationId, 'parent'),
      kids: this.key(conversationId, 'kids'),
      shown: this.key(conversationId, 'shown'),
    };
  }

  /** Records activity on a conversation: its meta hash and its place in the owner's list. */
  private async touch(conversationId: string, userId: string, created: boolean): Promise<void> {
    const meta = this.key(conversationId, 'meta');
    const now = Date.now();
    await this.call(() =>
      Promise.all([
        created ? this.redis.hset(meta, 'createdAt', now, 'updatedAt', now) : this.redis.hset(meta, 'updatedAt', now),
        this.redis.expire(meta, this.ttl),
        this.redis.zadd(this.userKey(userId, 'recent'), now, conversationId),
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

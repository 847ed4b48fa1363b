/**
 * Store over Redis (ioredis). Keys of one conversation share a hash tag — `llc:{c:<id>}:…` — so they live in
 * one slot of a Redis Cluster and every multi-key step runs as one Lua script (atomic, one round trip).
 *
 *   …:owner      string  the user who claimed the conversation
 *   …:order      zset    message id → insertion counter (history order)
 *   …:data       hash    message id → JSON message
 *   …:submitted  set     user message ids handed to the broker
 *   …:seq        string  insertion counter
 *
 * Every write refreshes the conversation's TTL, so idle conversations expire. While Redis is unreachable,
 * calls fail fast with StoreUnavailableError (no offline queue): the relay answers with a retryable error
 * and the client's outbox retries, instead of requests piling up in memory.
 */
import type { ChatMessage } from '@locallightchat/protocol';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import type { Reservation, TokenBucketPolicy } from '../limits/token-bucket.js';
import { withDefaults } from '../options.js';
import {
  StoreUnavailableError,
  type SessionRecord,
  type AppendResult,
  type MessagePage,
  type Store,
  type StoreStatus,
} from './store.js';

/** Settings of a {@link RedisStore}; {@link RedisStore.connect} takes the url and a partial of the rest. */
export interface RedisStoreOptions {
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
};

/** Full options from the url and a partial of the rest (keys left out or `undefined` take their default). */
export function resolveRedisStoreOptions(
  partial: Partial<RedisStoreOptions> & Pick<RedisStoreOptions, 'url'>,
): RedisStoreOptions {
  return withDefaults(DEFAULT_REDIS_STORE_OPTIONS, partial);
}

const APPEND = `
local order, data, submitted, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, json, ttl, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HEXISTS', data, id) == 1 then
  return {0, redis.call('SISMEMBER', submitted, id)}
end
local n = redis.call('INCR', seq)
redis.call('ZADD', order, n, id)
redis.call('HSET', data, id, json)
local excess = redis.call('ZCARD', order) - max
if excess > 0 then
  local old = redis.call('ZRANGE', order, 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', order, 0, excess - 1)
  redis.call('HDEL', data, unpack(old))
  redis.call('SREM', submitted, unpack(old))
end
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ttl) end
return {1, 0}
`;

const LIST = `
local order, data = KEYS[1], KEYS[2]
local before, limit = ARGV[1], tonumber(ARGV[2])
local stop
if before == '' then
  stop = redis.call('ZCARD', order) - 1
else
  local rank = redis.call('ZRANK', order, before)
  if not rank then return {0} end
  stop = rank - 1
end
if stop < 0 then return {0} end
local start = math.max(0, stop - limit + 1)
local ids = redis.call('ZRANGE', order, start, stop)
local out = {start}
for _, id in ipairs(ids) do table.insert(out, redis.call('HGET', data, id) or '') end
return out
`;

const TRUNCATE = `
local order, data, submitted = KEYS[1], KEYS[2], KEYS[3]
local rank = redis.call('ZRANK', order, ARGV[1])
if not rank then return 0 end
local ids = redis.call('ZRANGE', order, rank, -1)
redis.call('ZREMRANGEBYRANK', order, rank, -1)
redis.call('HDEL', data, unpack(ids))
redis.call('SREM', submitted, unpack(ids))
return #ids
`;

// Token bucket (rules of limits/token-bucket.ts). Redis's clock, so every relay node agrees on time.
// Returns {ok, remaining, retryAfterMs (-1: never fits)}. Full buckets are deleted; others expire when they
// would be full again.
const BUCKET = `
local key = KEYS[1]
local amount, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local mode = ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'level', 'at')
local level = capacity
if state[1] then
  level = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) / 1000 * rate)
end
local ok, retry = 1, 0
if mode == 'reserve' then
  if amount <= level then
    level = level - amount
  else
    ok = 0
    if amount > capacity or rate <= 0 then retry = -1 else retry = math.ceil((amount - level) / rate * 1000) end
  end
else
  level = math.min(capacity, level + amount)
end
if level >= capacity then
  redis.call('DEL', key)
else
  redis.call('HSET', key, 'level', tostring(level), 'at', now)
  if rate > 0 then redis.call('PEXPIRE', key, math.ceil((capacity - level) / rate * 1000) + 1000) end
end
return {ok, math.floor(level), retry}
`;

type Commands = {
  llcBucket(
    key: string,
    amount: number,
    capacity: number,
    rate: number,
    mode: 'reserve' | 'refund',
  ): Promise<[number, number, number]>;
  llcAppend(
    order: string,
    data: string,
    submitted: string,
    seq: string,
    id: string,
    json: string,
    ttl: number,
    max: number,
  ): Promise<[number, number]>;
  llcList(order: string, data: string, before: string, limit: number): Promise<(number | string)[]>;
  llcTruncate(order: string, data: string, submitted: string, id: string): Promise<number>;
};

/** The Store over Redis: history, ownership, dedup, sessions and token budgets shared by every relay node. */
export class RedisStore implements Store {
  private readonly redis: Redis & Commands;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly maxMessages: number;
  private currentStatus: StoreStatus = 'reconnecting';

  private constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.ttl = options.conversationTtlSec;
    this.maxMessages = options.maxMessagesPerConversation;
    this.redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: true,
      ...options.redis,
    }) as Redis & Commands;
    this.redis.defineCommand('llcAppend', { numberOfKeys: 4, lua: APPEND });
    this.redis.defineCommand('llcList', { numberOfKeys: 2, lua: LIST });
    this.redis.defineCommand('llcTruncate', { numberOfKeys: 3, lua: TRUNCATE });
    this.redis.defineCommand('llcBucket', { numberOfKeys: 1, lua: BUCKET });
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
    return this.call(async () => {
      const set = await this.redis.set(key, userId, 'EX', this.ttl, 'NX');
      if (set === 'OK') return userId;
      const owner = await this.redis.get(key);
      if (owner === userId) await this.redis.expire(key, this.ttl);
      return owner ?? userId;
    });
  }

  async appendMessage(conversationId: string, message: ChatMessage): Promise<AppendResult> {
    const k = this.keys(conversationId);
    const [inserted, submitted] = await this.call(() =>
      this.redis.llcAppend(
        k.order,
        k.data,
        k.submitted,
        k.seq,
        message.id,
        JSON.stringify(message),
        this.ttl,
        this.maxMessages,
      ),
    );
    return { inserted: inserted === 1, submitted: submitted === 1 };
  }

  async markSubmitted(conversationId: string, messageId: string): Promise<void> {
    const key = this.key(conversationId, 'submitted');
    await this.call(() => this.redis.multi().sadd(key, messageId).expire(key, this.ttl).exec());
  }

  async listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage> {
    const k = this.keys(conversationId);
    const [start, ...rows] = await this.call(() =>
      this.redis.llcList(k.order, k.data, options.before ?? '', options.limit),
    );
    const messages = rows
      .filter((r): r is string => typeof r === 'string' && r.length > 0)
      .map((r) => JSON.parse(r) as ChatMessage);
    return Number(start) > 0 && messages.length > 0 ? { messages, cursor: messages[0]!.id } : { messages };
  }

  async truncateFrom(conversationId: string, messageId: string): Promise<number> {
    const k = this.keys(conversationId);
    return this.call(() => this.redis.llcTruncate(k.order, k.data, k.submitted, messageId));
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
    return `${this.prefix}:{u:${userId}}:tokens`;
  }

  private keys(conversationId: string) {
    return {
      order: this.key(conversationId, 'order'),
      data: this.key(conversationId, 'data'),
      submitted: this.key(conversationId, 'submitted'),
      seq: this.key(conversationId, 'seq'),
    };
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

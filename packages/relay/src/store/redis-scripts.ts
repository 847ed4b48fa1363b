/**
 * The Lua scripts of the Redis store (./redis-store.ts): each multi-key step runs as one script, atomic and in
 * one round trip. A script touches keys of one hash tag only (one Redis Cluster slot): a conversation's keys,
 * or a user's.
 */
// Appends a message; KEYS[5] is the owner record, whose TTL is refreshed with the messages' (it never expires
// before them). Returns {inserted, submitted, bytes freed, messages freed} (the oldest past `max` are dropped).
export const APPEND = `
local order, data, submitted, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, json, ttl, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HEXISTS', data, id) == 1 then
  return {0, redis.call('SISMEMBER', submitted, id), 0, 0}
end
local n = redis.call('INCR', seq)
redis.call('ZADD', order, n, id)
redis.call('HSET', data, id, json)
local freedBytes, freedCount = 0, 0
local excess = redis.call('ZCARD', order) - max
if excess > 0 then
  local old = redis.call('ZRANGE', order, 0, excess - 1)
  for _, o in ipairs(old) do freedBytes = freedBytes + string.len(redis.call('HGET', data, o) or '') end
  freedCount = #old
  redis.call('ZREMRANGEBYRANK', order, 0, excess - 1)
  redis.call('HDEL', data, unpack(old))
  redis.call('SREM', submitted, unpack(old))
end
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ttl) end
return {1, 0, freedBytes, freedCount}
`;

// A user's conversations: a zset of conversation id → expiry (ms, Redis's clock), refreshed by each claim.
// Admits a new id while the user owns fewer than ARGV[2]. Returns 1 (admitted or already held) or 0 (refused).
export const CLAIM_QUOTA = `
local key, id, max, ttlMs = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if not redis.call('ZSCORE', key, id) and redis.call('ZCARD', key) >= max then return 0 end
redis.call('ZADD', key, now + ttlMs, id)
redis.call('PEXPIRE', key, ttlMs)
return 1
`;

// A user's stored bytes and messages (a hash). Adds ARGV[1] bytes and ARGV[2] messages (negative to give
// back); when ARGV[5] is 1 and the result would pass a quota, nothing changes. Returns 1, or 0 (bytes) or -1
// (messages) when refused.
export const USAGE = `
local key = KEYS[1]
local bytes, count, maxBytes, maxCount = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local enforce, ttl = ARGV[5] == '1', tonumber(ARGV[6])
local b = tonumber(redis.call('HGET', key, 'bytes') or '0')
local c = tonumber(redis.call('HGET', key, 'messages') or '0')
if enforce and b + bytes > maxBytes then return 0 end
if enforce and c + count > maxCount then return -1 end
redis.call('HSET', key, 'bytes', math.max(0, b + bytes), 'messages', math.max(0, c + count))
redis.call('EXPIRE', key, ttl)
return 1
`;

export const LIST = `
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

// Returns {messages removed, their bytes}.
export const TRUNCATE = `
local order, data, submitted = KEYS[1], KEYS[2], KEYS[3]
local rank = redis.call('ZRANK', order, ARGV[1])
if not rank then return {0, 0} end
local ids = redis.call('ZRANGE', order, rank, -1)
local bytes = 0
for _, o in ipairs(ids) do bytes = bytes + string.len(redis.call('HGET', data, o) or '') end
redis.call('ZREMRANGEBYRANK', order, rank, -1)
redis.call('HDEL', data, unpack(ids))
redis.call('SREM', submitted, unpack(ids))
return {#ids, bytes}
`;

// Token bucket (rules of limits/token-bucket.ts). Redis's clock, so every relay node agrees on time.
// Returns {ok, remaining, retryAfterMs (-1: never fits)}. Full buckets are deleted; others expire when they
// would be full again.
export const BUCKET = `
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

// Stores a rating (ARGV: user, stream id, JSON, ttl) only while KEYS[1], the owner record, names that user.
export const SAVE_FEEDBACK = `
local owner, feedback = KEYS[1], KEYS[2]
if redis.call('GET', owner) ~= ARGV[1] then return 0 end
redis.call('HSET', feedback, ARGV[2], ARGV[3])
redis.call('EXPIRE', feedback, tonumber(ARGV[4]))
return 1
`;

// Sets a conversation's title (KEYS: owner, meta; ARGV: user, title, ifUnset, now ms, ttl) while the user owns
// it; a rename also moves updatedAt. Returns 1, or 0 when refused (not the owner, or ifUnset found a title).
export const SET_TITLE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '1' and redis.call('HEXISTS', KEYS[2], 'title') == 1 then return 0 end
redis.call('HSET', KEYS[2], 'title', ARGV[2])
if ARGV[3] ~= '1' then redis.call('HSET', KEYS[2], 'updatedAt', ARGV[4]) end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
return 1
`;

// Deletes every key of a conversation (KEYS[1] the owner record, KEYS[2] the order zset, KEYS[3] the data
// hash, then the rest) while ARGV[1] owns it. Returns {messages removed, their bytes}, or {-1, 0} when refused.
export const DELETE_CONVERSATION = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1, 0} end
local bytes = 0
for _, v in ipairs(redis.call('HVALS', KEYS[3])) do bytes = bytes + string.len(v) end
local count = redis.call('ZCARD', KEYS[2])
redis.call('DEL', unpack(KEYS))
return {count, bytes}
`;

export type Commands = {
  llcSetTitle(
    owner: string,
    meta: string,
    userId: string,
    title: string,
    ifUnset: '0' | '1',
    now: number,
    ttl: number,
  ): Promise<number>;
  llcDeleteConversation(...keysThenUser: string[]): Promise<[number, number]>;
  llcSaveFeedback(
    owner: string,
    feedback: string,
    userId: string,
    streamId: string,
    json: string,
    ttl: number,
  ): Promise<number>;
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
    owner: string,
    id: string,
    json: string,
    ttl: number,
    max: number,
  ): Promise<[number, number, number, number]>;
  llcList(order: string, data: string, before: string, limit: number): Promise<(number | string)[]>;
  llcTruncate(order: string, data: string, submitted: string, id: string): Promise<[number, number]>;
  llcClaimQuota(key: string, id: string, max: number, ttlMs: number): Promise<number>;
  llcUsage(
    key: string,
    bytes: number,
    count: number,
    maxBytes: number,
    maxCount: number,
    enforce: 0 | 1,
    ttlSec: number,
  ): Promise<number>;
};

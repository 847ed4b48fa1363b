/**
 * The Lua scripts of the Redis store (./redis-store.ts): each multi-key step runs as one script, atomic and in
 * one round trip. A script touches keys of one hash tag only (one Redis Cluster slot): a conversation's keys,
 * or a user's.
 */
import type { Redis } from 'ioredis';

// The message tree (see message-tree.ts, whose rules these follow): per conversation the hashes `parent`
// (id → parent id, '' for a first message), `kids` (parent id → its children's ids, space-separated, oldest
// first) and `shown` (parent id → the child shown). A conversation stored before the tree existed is given one on
// first use: its messages in insertion order, each the child of the one before.
const TREE = `
local function split(s)
  local t = {}
  if s then for w in string.gmatch(s, '%S+') do t[#t + 1] = w end end
  return t
end
local function ensureTree(order, parent, kids, shown)
  if redis.call('EXISTS', shown) == 1 then return end
  local prev = ''
  for _, id in ipairs(redis.call('ZRANGE', order, 0, -1)) do
    redis.call('HSET', parent, id, prev)
    redis.call('HSET', kids, prev, id)
    redis.call('HSET', shown, prev, id)
    prev = id
  end
end
local function path(shown, bound)
  local out = {}
  local id = redis.call('HGET', shown, '')
  while id and #out < bound do
    out[#out + 1] = id
    id = redis.call('HGET', shown, id)
  end
  return out
end
local function row(out, data, parent, kids, id)
  out[#out + 1] = redis.call('HGET', data, id) or ''
  local p = redis.call('HGET', parent, id) or ''
  out[#out + 1] = p
  local k = redis.call('HGET', kids, p) or ''
  if string.find(k, ' ', 1, true) then out[#out + 1] = k else out[#out + 1] = '' end
end
local function removeNode(parent, kids, shown, id)
  local p = redis.call('HGET', parent, id)
  if not p then return end
  local mine = redis.call('HGET', kids, id) or ''
  for _, k in ipairs(split(mine)) do redis.call('HSET', parent, k, p) end
  local out = {}
  for _, s in ipairs(split(redis.call('HGET', kids, p))) do
    if s == id then
      if mine ~= '' then out[#out + 1] = mine end
    else
      out[#out + 1] = s
    end
  end
  local joined = table.concat(out, ' ')
  if joined == '' then redis.call('HDEL', kids, p) else redis.call('HSET', kids, p, joined) end
  if redis.call('HGET', shown, p) == id then
    local nxt = redis.call('HGET', shown, id)
    if not nxt then
      local all = split(joined)
      nxt = all[#all]
    end
    if nxt then redis.call('HSET', shown, p, nxt) else redis.call('HDEL', shown, p) end
  end
  redis.call('HDEL', parent, id)
  redis.call('HDEL', kids, id)
  redis.call('HDEL', shown, id)
end
`;

// Appends a message (KEYS: order, data, submitted, seq, owner, parent, kids, shown; ARGV: id, json, ttl, max,
// parent mode 'leaf' (after the active path's last message) or 'id', parent id ('' for a root), '1' to show its
// whole branch) and shows it.
// KEYS[5] is the owner record, whose TTL is refreshed with the messages' (it never expires before them).
// Returns {inserted, submitted, bytes freed, messages freed} (the oldest past `max` are dropped).
export const APPEND = `${TREE}
local order, data, submitted, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local parent, kids, shown = KEYS[6], KEYS[7], KEYS[8]
local id, json, ttl, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HEXISTS', data, id) == 1 then
  return {0, redis.call('SISMEMBER', submitted, id), 0, 0}
end
ensureTree(order, parent, kids, shown)
local p = ARGV[6]
if ARGV[5] == 'leaf' then
  local active = path(shown, max + 1)
  p = active[#active] or ''
end
local n = redis.call('INCR', seq)
redis.call('ZADD', order, n, id)
redis.call('HSET', data, id, json)
redis.call('HSET', parent, id, p)
local k = redis.call('HGET', kids, p)
if k then redis.call('HSET', kids, p, k .. ' ' .. id) else redis.call('HSET', kids, p, id) end
redis.call('HSET', shown, p, id)
if ARGV[7] == '1' then
  local at = p
  local up = redis.call('HGET', parent, at)
  while at ~= '' and up do
    redis.call('HSET', shown, up, at)
    at = up
    up = redis.call('HGET', parent, at)
  end
end
local freedBytes, freedCount = 0, 0
local excess = redis.call('ZCARD', order) - max
if excess > 0 then
  local old = redis.call('ZRANGE', order, 0, excess - 1)
  for _, o in ipairs(old) do
    freedBytes = freedBytes + string.len(redis.call('HGET', data, o) or '')
    removeNode(parent, kids, shown, o)
  end
  freedCount = #old
  redis.call('ZREMRANGEBYRANK', order, 0, excess - 1)
  redis.call('HDEL', data, unpack(old))
  redis.call('SREM', submitted, unpack(old))
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ttl) end
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

// A page of the active path (KEYS: order, data, parent, kids, shown; ARGV: before id or '', limit, max). Returns
// {index of the page's first message in the path, then per message: JSON, parent id, siblings or ''}.
export const LIST = `${TREE}
local order, data, parent, kids, shown = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local before, limit, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
ensureTree(order, parent, kids, shown)
local active = path(shown, max + 1)
local stop = #active
if before ~= '' then
  stop = 0
  for i, id in ipairs(active) do
    if id == before then
      stop = i - 1
      break
    end
  end
end
if stop < 1 then return {0} end
local start = math.max(1, stop - limit + 1)
local out = {start - 1}
for i = start, stop do row(out, data, parent, kids, active[i]) end
return out
`;

// A message and its ancestors (KEYS: order, data, parent, kids, shown; ARGV: id, limit), oldest first, as rows
// like LIST's (without the leading index); empty when the message is unknown.
export const ANCESTRY = `${TREE}
local order, data, parent, kids, shown = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('HEXISTS', data, ARGV[1]) == 0 then return {} end
ensureTree(order, parent, kids, shown)
local chain = {}
local at = ARGV[1]
while at and at ~= '' and #chain < tonumber(ARGV[2]) do
  table.insert(chain, 1, at)
  at = redis.call('HGET', parent, at)
end
local out = {}
for _, id in ipairs(chain) do
  if redis.call('HEXISTS', data, id) == 1 then row(out, data, parent, kids, id) end
end
return out
`;

// Shows a message among its siblings (KEYS: order, data, parent, kids, shown; ARGV: id). Returns 1, or 0 when
// the message is unknown.
export const SELECT_BRANCH = `${TREE}
local order, data, parent, kids, shown = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('HEXISTS', data, ARGV[1]) == 0 then return 0 end
ensureTree(order, parent, kids, shown)
local p = redis.call('HGET', parent, ARGV[1])
if not p then return 0 end
redis.call('HSET', shown, p, ARGV[1])
return 1
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
  llcAppend(...keysThenArgs: (string | number)[]): Promise<[number, number, number, number]>;
  llcList(...keysThenArgs: (string | number)[]): Promise<(number | string)[]>;
  llcAncestry(...keysThenArgs: (string | number)[]): Promise<string[]>;
  llcSelectBranch(...keysThenArgs: string[]): Promise<number>;
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

/** Registers the scripts on a connection as the {@link Commands} (DELETE_CONVERSATION takes every key of a conversation). */
export function defineScripts(redis: Redis, conversationKeys: number): void {
  redis.defineCommand('llcAppend', { numberOfKeys: 8, lua: APPEND });
  redis.defineCommand('llcClaimQuota', { numberOfKeys: 1, lua: CLAIM_QUOTA });
  redis.defineCommand('llcUsage', { numberOfKeys: 1, lua: USAGE });
  redis.defineCommand('llcList', { numberOfKeys: 5, lua: LIST });
  redis.defineCommand('llcAncestry', { numberOfKeys: 5, lua: ANCESTRY });
  redis.defineCommand('llcSelectBranch', { numberOfKeys: 5, lua: SELECT_BRANCH });
  redis.defineCommand('llcSetTitle', { numberOfKeys: 2, lua: SET_TITLE });
  redis.defineCommand('llcDeleteConversation', { numberOfKeys: conversationKeys, lua: DELETE_CONVERSATION });
  redis.defineCommand('llcSaveFeedback', { numberOfKeys: 2, lua: SAVE_FEEDBACK });
  redis.defineCommand('llcBucket', { numberOfKeys: 1, lua: BUCKET });
}

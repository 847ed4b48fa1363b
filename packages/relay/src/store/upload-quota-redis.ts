/**
 * The upload byte quota over Redis (see ./upload-quota.ts): one counter per user, `<prefix>:{u:<id>}:uploads`
 * (the user's hash tag, so it shares a Cluster slot with their other keys), changed only by one Lua script so a
 * check and its reservation are one atomic step across relay nodes. It has no TTL: uploaded files do not expire.
 */
import type { Redis } from 'ioredis';
import { assertBytes, type UploadQuotaPort, type UploadReservation } from './upload-quota.js';

// Adds ARGV[1] bytes (negative to give back) to the counter KEYS[1]; a positive amount only while the total
// stays ≤ ARGV[2]. A count that reaches 0 is deleted. Returns {1 taken | 0 refused, bytes held after}.
export const UPLOAD_BYTES = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local bytes, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if bytes > 0 and used + bytes > limit then return {0, used} end
used = math.max(0, used + bytes)
if used == 0 then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], used) end
return {1, used}
`;

type UploadCommands = {
  llcUploadBytes(key: string, bytes: number, limit: number): Promise<[number, number]>;
};

/** The Redis store's half of {@link UploadQuotaPort}; `call` maps connection failures as the store does. */
export class RedisUploadQuota implements UploadQuotaPort {
  readonly #redis: Redis & UploadCommands;

  constructor(
    redis: Redis,
    private readonly keyOf: (userId: string) => string,
    private readonly call: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
    redis.defineCommand('llcUploadBytes', { numberOfKeys: 1, lua: UPLOAD_BYTES });
    this.#redis = redis as Redis & UploadCommands;
  }

  async reserveUploadBytes(userId: string, bytes: number, limit: number): Promise<UploadReservation> {
    assertBytes(bytes);
    const [ok, used] = await this.call(() => this.#redis.llcUploadBytes(this.keyOf(userId), bytes, limit));
    return { ok: ok === 1, used };
  }

  async releaseUploadBytes(userId: string, bytes: number): Promise<void> {
    assertBytes(bytes);
    if (bytes > 0) await this.call(() => this.#redis.llcUploadBytes(this.keyOf(userId), -bytes, 0));
  }
}

/** The settings of a {@link RedisStore}, their defaults, and the one function that applies them. */
import type { RedisOptions } from 'ioredis';
import { withDefaults } from '../options.js';
import { DEFAULT_USER_QUOTAS, type UserQuotas } from './user-quotas.js';

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

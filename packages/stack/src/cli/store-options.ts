/**
 * `--store redis://…` with the REDIS_OPTIONS flags, as RedisStore options: TLS files and Sentinel for ioredis.
 */
import { CliUsageError, type ParsedOptions } from '@locallightchat/cli-kit';
import type { RedisStoreOptions } from '@locallightchat/relay';
import { readFileSync } from 'node:fs';
import type { REDIS_OPTIONS } from './relay-options.js';

type RedisClientOptions = NonNullable<RedisStoreOptions['redis']>;

/** The RedisStore options for `url` and the --redis-* flags; usage errors for bad combinations or unreadable files. */
export function redisStoreOptions(
  url: string,
  o: ParsedOptions<typeof REDIS_OPTIONS>,
): Partial<RedisStoreOptions> & Pick<RedisStoreOptions, 'url'> {
  if (Boolean(o['redis-tls-cert']) !== Boolean(o['redis-tls-key']))
    throw new CliUsageError('--redis-tls-cert and --redis-tls-key go together');
  const client: RedisClientOptions = {};
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new CliUsageError(`${flag} ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const ca = o['redis-tls-ca'];
  const cert = o['redis-tls-cert'];
  const key = o['redis-tls-key'];
  if (ca || cert || url.startsWith('rediss://')) {
    client.tls = {
      ...(ca ? { ca: read('--redis-tls-ca', ca) } : {}),
      ...(cert ? { cert: read('--redis-tls-cert', cert) } : {}),
      ...(key ? { key: read('--redis-tls-key', key) } : {}),
    };
  }
  const sentinels = o['redis-sentinels'] ?? [];
  if (sentinels.length) {
    client.sentinels = sentinels.map((address) => {
      const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
      if (!match) throw new CliUsageError(`--redis-sentinels expects host:port entries, got "${address}"`);
      return { host: match[1]!, port: Number(match[2]) };
    });
    client.name = o['redis-sentinel-name'];
    if (o['redis-sentinel-password']) client.sentinelPassword = o['redis-sentinel-password'];
    // The master's address comes from the sentinels; TLS to the master follows --redis-tls-*.
    if (client.tls) client.enableTLSForSentinelMode = true;
  }
  if (!(o['redis-conversation-ttl-sec'] >= 1)) throw new CliUsageError('--redis-conversation-ttl-sec must be ≥ 1');
  if (!(o['redis-max-messages'] >= 1)) throw new CliUsageError('--redis-max-messages must be ≥ 1');
  return {
    url,
    conversationTtlSec: o['redis-conversation-ttl-sec'],
    maxMessagesPerConversation: o['redis-max-messages'],
    ...(Object.keys(client).length ? { redis: client } : {}),
  };
}

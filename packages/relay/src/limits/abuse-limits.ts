/**
 * Limits per user and per client address that a reconnect does not reset and that every relay process shares
 * (through the Store's rate buckets: Lua on Redis, the memory store for the embedded stack):
 *
 * - connections: opened per address and per user (shared rate buckets), held open per address and per user
 *   (counted exactly in this process);
 * - frames: per user over all their connections (a shared bucket, charged in batches of {@link FRAME_BATCH}
 *   so a frame does not cost a store round trip; a user can overshoot by one batch per process);
 * - conversation subscriptions: per user (a shared bucket), and joined per connection;
 * - upload requests (`POST /uploads` and each PUT of bytes, with `uploadDir`): per user (a shared bucket).
 *
 * Loopback addresses are not limited per address: on loopback the peer is a local proxy (whose clients all share
 * its address: set `clientAddressHeader` to limit them apart) or a load generator.
 *
 * When the store cannot be reached the shared buckets let traffic through (the per-connection and per-process
 * limits still hold): an outage of the store must not take the chat down.
 */
import type { Store } from '../store/store.js';
import type { TokenBucketPolicy } from './token-bucket.js';

/** Settings of {@link AbuseLimits} (fields of `RelayConfig` of the same names). */
export interface AbuseLimitOptions {
  /** Connections one client address may hold open on one relay process. */
  maxConnectionsPerAddress: number;
  /** Connections one user may hold open on one relay process. */
  maxConnectionsPerUser: number;
  /** Conversations one connection may have joined at once. */
  maxConversationsPerConnection: number;
  /** New connections per client address, shared by every relay process. */
  connectRatePerAddress: TokenBucketPolicy;
  /** New connections per user, shared by every relay process. */
  connectRatePerUser: TokenBucketPolicy;
  /** Frames per user over all their connections, shared by every relay process. */
  frameRatePerUser: TokenBucketPolicy;
  /** `subscribe` frames per user, shared by every relay process. */
  subscribeRatePerUser: TokenBucketPolicy;
  /** Upload requests per user (a presign and its PUT cost one each), shared by every relay process. */
  uploadRatePerUser: TokenBucketPolicy;
}

/** Defaults: far above what a person's tabs do, far below what a flood needs. */
export const DEFAULT_ABUSE_LIMITS: AbuseLimitOptions = {
  maxConnectionsPerAddress: 200,
  maxConnectionsPerUser: 50,
  maxConversationsPerConnection: 200,
  connectRatePerAddress: { capacity: 120, refillPerSecond: 2 },
  connectRatePerUser: { capacity: 60, refillPerSecond: 1 },
  frameRatePerUser: { capacity: 2000, refillPerSecond: 200 },
  subscribeRatePerUser: { capacity: 300, refillPerSecond: 10 },
  // 30 uploads at once, then one every 4 s: a person attaching files never waits; a loop is slowed to a crawl.
  uploadRatePerUser: { capacity: 60, refillPerSecond: 0.5 },
};

/** Frames of a user counted locally before they are charged to the shared bucket. */
export const FRAME_BATCH = 20;

/** A refusal: when to retry (undefined: not by waiting). */
export interface Refused {
  retryAfterMs?: number;
}

interface FrameMeter {
  pending: number;
  blockedUntil: number;
  charging: boolean;
}

/** One per relay (see the module comment). */
export class AbuseLimits {
  private readonly byAddress = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private readonly meters = new Map<string, FrameMeter>();

  constructor(
    readonly options: AbuseLimitOptions,
    private readonly store: Store,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  /** A new connection from `address` (before it opens); on success the caller must {@link releaseAddress}. */
  async admitAddress(address: string): Promise<Refused | undefined> {
    if (isLoopback(address)) return undefined;
    if ((this.byAddress.get(address) ?? 0) >= this.options.maxConnectionsPerAddress) return { retryAfterMs: 5000 };
    const refused = await this.shared(`conn-addr:${address}`, 1, this.options.connectRatePerAddress);
    if (refused) return refused;
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
    return undefined;
  }

  releaseAddress(address: string): void {
    if (!isLoopback(address)) release(this.byAddress, address);
  }

  /** A connection authenticated as `userId`; on success the caller must {@link releaseUser}. */
  async admitUser(userId: string): Promise<Refused | undefined> {
    if ((this.byUser.get(userId) ?? 0) >= this.options.maxConnectionsPerUser) return { retryAfterMs: 5000 };
    const refused = await this.shared(`conn-user:${userId}`, 1, this.options.connectRatePerUser);
    if (refused) return refused;
    this.byUser.set(userId, (this.byUser.get(userId) ?? 0) + 1);
    return undefined;
  }

  releaseUser(userId: string): void {
    release(this.byUser, userId);
    const meter = this.meters.get(userId);
    if (!this.byUser.has(userId) && meter && !meter.charging && meter.blockedUntil <= Date.now()) {
      this.meters.delete(userId);
    }
  }

  /** A frame of `userId`: false while the user's shared frame bucket is empty. */
  takeFrame(userId: string): boolean {
    let meter = this.meters.get(userId);
    if (!meter) this.meters.set(userId, (meter = { pending: 0, blockedUntil: 0, charging: false }));
    if (meter.blockedUntil > Date.now()) return false;
    meter.pending++;
    if (meter.pending >= FRAME_BATCH && !meter.charging) void this.charge(userId, meter);
    return true;
  }

  /** A `subscribe` of `userId`, or why not. */
  subscribe(userId: string): Promise<Refused | undefined> {
    return this.shared(`subscribe:${userId}`, 1, this.options.subscribeRatePerUser);
  }

  /** An upload request (presign or PUT) of `userId`, or why not. */
  upload(userId: string): Promise<Refused | undefined> {
    return this.shared(`upload:${userId}`, 1, this.options.uploadRatePerUser);
  }

  private async charge(userId: string, meter: FrameMeter): Promise<void> {
    meter.charging = true;
    const amount = meter.pending;
    meter.pending = 0;
    const refused = await this.shared(`frames:${userId}`, amount, this.options.frameRatePerUser);
    meter.charging = false;
    if (refused) meter.blockedUntil = Date.now() + (refused.retryAfterMs ?? 1000);
    else if (meter.pending === 0) this.meters.delete(userId);
  }

  private async shared(key: string, amount: number, policy: TokenBucketPolicy): Promise<Refused | undefined> {
    if (policy.capacity <= 0) return undefined;
    try {
      const result = await this.store.consumeRate(key, Math.min(amount, policy.capacity), policy);
      return result.ok ? undefined : { retryAfterMs: result.retryAfterMs ?? 1000 };
    } catch (error) {
      this.log(`rate limit ${key} unavailable; letting it through`, error);
      return undefined;
    }
  }
}

function release(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

function isLoopback(address: string): boolean {
  return (
    address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.') || address.endsWith(':0:1')
  );
}

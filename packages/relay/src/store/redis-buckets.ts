/**
 * The token-bucket charges of the Redis store (connection, frame, subscribe and upload rates; token budgets),
 * gathered per event-loop turn and sent as one pipeline: one socket write and one read for all of them.
 *
 * Why: every accepted connection charges the user's shared connect-rate bucket (abuse-limits.ts), and sent one
 * by one each charge was its own write syscall to Redis — 18 % of a surviving relay process's CPU samples in a
 * reconnect storm (bench/results/2026-12-05/accept-path.md). Each charge is still its own atomic script run on
 * Redis, in the order it was asked for, so a limit counts exactly what it counted before; only the writes are
 * gathered. A turn's charges wait at most until the end of that turn (setImmediate runs after the poll phase
 * that delivered them).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { TokenBucketPolicy } from '../limits/token-bucket.js';

/** A bucket script's reply: [1 if taken, tokens left, ms until it would fit (−1: never)]. */
export type BucketReply = [number, number, number];

interface Charge {
  key: string;
  amount: number;
  policy: TokenBucketPolicy;
  resolve(reply: BucketReply): void;
  reject(error: unknown): void;
}

/** The bucket script as a pipeline command (defined by redis-scripts.ts's defineScripts). */
type BucketPipeline = ChainableCommander & {
  llcBucket(key: string, amount: number, capacity: number, rate: number, mode: 'reserve'): ChainableCommander;
};

/** One per store (see the module comment). */
export class BucketBatcher {
  private pending: Charge[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  /** Reserves `amount` from the bucket at `key`; resolves with the script's reply, rejects as the command would. */
  reserve(key: string, amount: number, policy: TokenBucketPolicy): Promise<BucketReply> {
    return new Promise<BucketReply>((resolve, reject) => {
      this.pending.push({ key, amount, policy, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const charges = this.pending;
    this.pending = [];
    const pipeline = this.redis.pipeline() as BucketPipeline;
    for (const c of charges)
      pipeline.llcBucket(c.key, c.amount, c.policy.capacity, c.policy.refillPerSecond, 'reserve');
    pipeline.exec().then(
      (results) => {
        for (let i = 0; i < charges.length; i++) {
          const [error, reply] = results?.[i] ?? [new Error('no reply in the pipeline')];
          if (error) charges[i]!.reject(error);
          else charges[i]!.resolve(reply as BucketReply);
        }
      },
      (error: unknown) => {
        for (const c of charges) c.reject(error);
      },
    );
  }
}

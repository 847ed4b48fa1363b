/**
 * Per-user token budgets: a token bucket counted in *model tokens*, not requests. A generation reserves
 * `prompt + max_tokens` up front (so a burst of long requests cannot overshoot the budget while they run) and the
 * unused part is refunded from the stream's real usage when it ends.
 *
 * The arithmetic lives here once; the in-memory store applies it directly and the Redis store runs the same
 * rules in a Lua script (see redis-store.ts), so both adapters pass one conformance suite.
 */

/** A per-user budget of model tokens (`RelayConfig.tokenBudget`). */
export interface TokenBucketPolicy {
  /** Most tokens a user can hold (the burst). */
  capacity: number;
  /** Tokens added per second (the sustained rate). */
  refillPerSecond: number;
}

/** The outcome of {@link Store.reserveTokens}. */
export type Reservation =
  | { ok: true; /** Tokens left after this reservation. */ remaining: number }
  | {
      ok: false;
      /** When the request would fit, ms; undefined when it can never fit (amount > capacity). */ retryAfterMs?: number;
      remaining: number;
    };

export interface BucketState {
  level: number;
  /** ms since the epoch of the last update. */
  at: number;
}

/** Level after refilling from `state.at` to `now` (a missing bucket is full). */
export function refilled(state: BucketState | undefined, policy: TokenBucketPolicy, now: number): number {
  if (!state) return policy.capacity;
  const elapsed = Math.max(0, now - state.at) / 1000;
  return Math.min(policy.capacity, state.level + elapsed * policy.refillPerSecond);
}

/** Applies a reservation of `amount` at `now`; returns the outcome and the new state. */
export function reserve(
  state: BucketState | undefined,
  policy: TokenBucketPolicy,
  amount: number,
  now: number,
): [Reservation, BucketState] {
  const level = refilled(state, policy, now);
  if (amount <= level)
    return [
      { ok: true, remaining: Math.floor(level - amount) },
      { level: level - amount, at: now },
    ];
  const next = { level, at: now };
  if (amount > policy.capacity || policy.refillPerSecond <= 0)
    return [{ ok: false, remaining: Math.floor(level) }, next];
  return [
    {
      ok: false,
      retryAfterMs: Math.ceil(((amount - level) / policy.refillPerSecond) * 1000),
      remaining: Math.floor(level),
    },
    next,
  ];
}

/** Gives back `amount` tokens (never above capacity). */
export function refund(
  state: BucketState | undefined,
  policy: TokenBucketPolicy,
  amount: number,
  now: number,
): BucketState {
  return { level: Math.min(policy.capacity, refilled(state, policy, now) + Math.max(0, amount)), at: now };
}

/** Rough prompt size in tokens before the model's tokenizer has seen it (≈ 4 characters per token, rounded up). */
export function estimatePromptTokens(characters: number): number {
  return Math.ceil(characters / 4);
}

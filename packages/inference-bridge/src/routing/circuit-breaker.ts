/**
 * Per-backend circuit breaker with cooldown.
 *
 * closed → (429/503, connect error or TTFT timeout; or `failureThreshold` other server failures in a row) → open
 * for a cooldown: the longer of the server's Retry-After and `baseCooldownMs · 2^(trips-1)` (capped at
 * `maxCooldownMs`) → half-open: exactly one probe request is let through; its first token closes the breaker,
 * its failure opens it again with the next, longer cooldown. A probe that ends without a verdict (the user
 * stopped it) frees the probe slot.
 */
import { InferenceError } from '../backend.js';
import { withDefaults } from '../options.js';

/**
 * Settings of each backend's breaker (`LoadAwareRouterOptions.breaker`); defaults in
 * {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS}.
 */
export interface CircuitBreakerOptions {
  /** First cooldown, ms (LiteLLM's default is 5 s). */
  baseCooldownMs?: number;
  /** Longest cooldown after repeated trips, ms. */
  maxCooldownMs?: number;
  /** Server failures (5xx, errors inside a stream) in a row that open the breaker. */
  failureThreshold?: number;
}

/** The defaults of {@link CircuitBreakerOptions}. */
export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: Required<CircuitBreakerOptions> = {
  baseCooldownMs: 5000,
  maxCooldownMs: 60_000,
  failureThreshold: 3,
};

/** `options` over {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS}; a RangeError for cooldowns out of order or a bad threshold. */
export function resolveCircuitBreakerOptions(options: CircuitBreakerOptions = {}): Required<CircuitBreakerOptions> {
  const resolved = withDefaults(DEFAULT_CIRCUIT_BREAKER_OPTIONS, options);
  const { baseCooldownMs: base, maxCooldownMs: max, failureThreshold } = resolved;
  if (!(base >= 0) || !(max >= base)) throw new RangeError(`cooldowns must satisfy 0 ≤ base (${base}) ≤ max (${max})`);
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1)
    throw new RangeError(`failureThreshold must be a positive integer, got ${failureThreshold}`);
  return resolved;
}

/** A breaker's state: `closed` (in use), `open` (cooling down), `half-open` (one probe may go). */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** One backend's breaker (see the module note). */
export class CircuitBreaker {
  private readonly base: number;
  private readonly max: number;
  private readonly threshold: number;
  private openUntil = 0;
  private opened = false;
  private trips = 0;
  private serverFailures = 0;
  private probing = false;

  constructor(options: CircuitBreakerOptions = {}) {
    const resolved = resolveCircuitBreakerOptions(options);
    this.base = resolved.baseCooldownMs;
    this.max = resolved.maxCooldownMs;
    this.threshold = resolved.failureThreshold;
  }

  state(now: number): BreakerState {
    if (!this.opened) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** When an open breaker turns half-open (ms), or undefined when not open. */
  reopensAt(now: number): number | undefined {
    return this.state(now) === 'open' ? this.openUntil : undefined;
  }

  /** Whether a request may be sent now (half-open: only while no probe is out). */
  available(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half-open' && !this.probing);
  }

  /**
   * A request is being sent. Returns true when it is the half-open probe, whose verdict the caller must report
   * (success, failure or {@link probeAbandoned}).
   */
  dispatched(now: number): boolean {
    if (this.state(now) !== 'half-open') return false;
    this.probing = true;
    return true;
  }

  /** The backend produced a first token: it works. */
  success(): void {
    this.opened = false;
    this.probing = false;
    this.trips = 0;
    this.serverFailures = 0;
  }

  /** A probe ended without telling whether the backend works (user stop). */
  probeAbandoned(): void {
    this.probing = false;
  }

  /**
   * A request failed. Returns the cooldown in ms when this opened (or re-opened) the breaker, else undefined.
   * Errors that say nothing about the backend (the user aborted, the request itself was wrong) are ignored.
   */
  failure(error: unknown, now: number): number | undefined {
    const wasProbe = this.probing;
    this.probing = false;
    if (!(error instanceof InferenceError)) return undefined;
    const kind = error.kind;
    const trips =
      kind === 'connect' ||
      kind === 'overloaded' ||
      kind === 'timeout' ||
      (kind === 'server' && (wasProbe || ++this.serverFailures >= this.threshold));
    if (!trips) return undefined;
    const retryAfter = Math.min(error.details.retryAfterMs ?? 0, this.max * 10);
    if (this.state(now) === 'open' && !wasProbe) {
      // Requests sent before the breaker opened failing too: one storm is one trip, not many.
      this.openUntil = Math.max(this.openUntil, now + retryAfter);
      return undefined;
    }
    this.trips++;
    this.serverFailures = 0;
    const backoff = Math.min(this.max, this.base * 2 ** Math.min(30, this.trips - 1));
    // Retry-After is honoured (bounded, so a proxy's "retry tomorrow" cannot take a replica away for a day).
    const cooldown = Math.max(backoff, retryAfter);
    this.opened = true;
    this.openUntil = now + cooldown;
    return cooldown;
  }
}

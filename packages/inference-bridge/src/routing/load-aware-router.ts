/**
 * LoadAwareRouter: routes over vLLM replicas by load, with a circuit breaker per backend, admission control and
 * an optional cloud fallback. Implements the Router port (router.ts).
 *
 * Load of a replica = this bridge's in-flight count now (exact: updated at dispatch, so a burst between scrapes
 * spreads instead of herding onto the replica that looked idle) + everyone else's load as of the last scrape
 * (`running + waiting` then, minus this bridge's in-flight count then). The score adds penalties for a replica
 * that is queueing (`waiting`, which drives TTFT) and whose KV cache is filling (`kv_cache_usage_perc`,
 * preemption risk). Choice = power of two choices: two random candidates, the lower score wins, ties random.
 *
 * A replica whose reading is stale (last scrape failed or older than `staleAfterIntervals` intervals) or that has
 * no metrics URL is scored on this bridge's in-flight count only.
 *
 * Admission: a replica takes requests while its load is below `targetInFlight`; beyond that `availability`
 * answers `wait` and the bridge queues (routing/admission-queue.ts); a request also waits while every replica
 * left for it is cooling down and there is no fallback. The fallback is used when no primary can take the
 * request because of failures (every one excluded for this request or cooling down), or as `overflow` for a
 * request that waited too long — never merely because the replicas are busy.
 */
import type { InferenceBackend, InferenceRequest } from '../backend.js';
import type { Availability, Dispatch, DispatchOutcome, Router } from '../router.js';
import { withDefaults } from '../options.js';
import { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './circuit-breaker.js';
import { LoadScraper, type LoadReading } from './load-scraper.js';
import type { ReplicaView, RoutingPolicy } from './routing-policy.js';

/** One replica behind a {@link LoadAwareRouter}: its backend and where its load is read. */
export interface RoutedBackend {
  backend: InferenceBackend;
  /** Prometheus endpoint of the replica (vLLM: `http://host:port/metrics`); absent = in-flight only. */
  metricsUrl?: string;
  /** This replica's admission target; default the router's `targetInFlight`. */
  targetInFlight?: number;
}

/** Settings of a {@link LoadAwareRouter}; defaults in {@link DEFAULT_LOAD_AWARE_ROUTER_OPTIONS}. */
export interface LoadAwareRouterOptions {
  backends: readonly RoutedBackend[];
  /** An OpenAI-compatible cloud backend used when no replica can serve (and for overflow). */
  fallback?: InferenceBackend;
  /** Concurrent requests per replica before requests queue (Infinity = no admission control). */
  targetInFlight?: number;
  /** Scrape interval, ms (GIE refreshes every 50 ms and calls a reading stale after 2 s). */
  scrapeIntervalMs?: number;
  /** A reading older than this many intervals is stale. */
  staleAfterIntervals?: number;
  /** Score weight of one waiting request, on top of its count in the load. */
  waitingWeight?: number;
  /** Score weight of a full KV cache (16: a full cache counts like 16 more requests). */
  kvWeight?: number;
  breaker?: CircuitBreakerOptions;
  /**
   * How to pick among the replicas that can take a request (routing-policy.ts): random, round-robin, or
   * cache-aware (prefix-policy.ts). Default: power of two choices on load.
   */
  policy?: RoutingPolicy;
  /** Called when a breaker opens (for logs). */
  onBreakerOpen?: (backend: InferenceBackend, cooldownMs: number, error: unknown) => void;
  random?: () => number;
  now?: () => number;
  fetch?: typeof globalThis.fetch;
}

/** The defaults of {@link LoadAwareRouterOptions}. */
export const DEFAULT_LOAD_AWARE_ROUTER_OPTIONS: Required<
  Pick<
    LoadAwareRouterOptions,
    'targetInFlight' | 'scrapeIntervalMs' | 'staleAfterIntervals' | 'waitingWeight' | 'kvWeight' | 'random' | 'now'
  >
> = {
  targetInFlight: Infinity,
  scrapeIntervalMs: 250,
  staleAfterIntervals: 4,
  waitingWeight: 4,
  kvWeight: 16,
  random: () => Math.random(),
  now: () => Date.now(),
};

/** `options` over {@link DEFAULT_LOAD_AWARE_ROUTER_OPTIONS}; a RangeError when there is no backend at all. */
export function resolveLoadAwareRouterOptions(
  options: LoadAwareRouterOptions,
): LoadAwareRouterOptions & typeof DEFAULT_LOAD_AWARE_ROUTER_OPTIONS {
  if (options.backends.length === 0 && !options.fallback)
    throw new RangeError('LoadAwareRouter needs at least one backend');
  return withDefaults(DEFAULT_LOAD_AWARE_ROUTER_OPTIONS, options);
}

/** What the router knows about one backend (for logs, `/metrics` and tests). */
export interface BackendStatus {
  name: string;
  fallback: boolean;
  inFlight: number;
  load: number;
  score: number;
  breaker: BreakerState;
  stale: boolean;
  reading?: LoadReading;
}

class Slot {
  inFlight = 0;
  readonly breaker: CircuitBreaker;
  scraper?: LoadScraper;
  constructor(
    readonly backend: InferenceBackend,
    /** Position in the router's primaries (the policy's replica index); -1 for the fallback. */
    readonly index: number,
    readonly target: number,
    readonly fallback: boolean,
    breaker: CircuitBreakerOptions | undefined,
  ) {
    this.breaker = new CircuitBreaker(breaker);
  }
}

/** The Router over vLLM replicas by load, with breakers, admission control and a fallback (see the module note). */
export class LoadAwareRouter implements Router {
  private readonly primaries: Slot[];
  private readonly fallback?: Slot;
  private readonly byBackend = new Map<InferenceBackend, Slot>();
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly waitingWeight: number;
  private readonly kvWeight: number;
  private readonly policy?: RoutingPolicy;
  /** The policy's last pick, reported to it when that backend is dispatched right after. */
  private lastPick?: { request: InferenceRequest; slot: Slot };

  private readonly options: LoadAwareRouterOptions;

  constructor(routerOptions: LoadAwareRouterOptions) {
    const options = resolveLoadAwareRouterOptions(routerOptions);
    this.options = options;
    this.random = options.random;
    this.now = options.now;
    this.waitingWeight = options.waitingWeight;
    this.kvWeight = options.kvWeight;
    if (options.policy) this.policy = options.policy;
    this.primaries = options.backends.map((b, index) => {
      const t = b.targetInFlight ?? options.targetInFlight;
      if (!(t >= 1)) throw new RangeError(`targetInFlight of ${b.backend.name} must be ≥ 1, got ${t}`);
      const slot = new Slot(b.backend, index, t, false, options.breaker);
      if (b.metricsUrl) {
        slot.scraper = new LoadScraper({
          url: b.metricsUrl,
          intervalMs: options.scrapeIntervalMs,
          staleAfterIntervals: options.staleAfterIntervals,
          ownInFlight: () => slot.inFlight,
          onScrape: () => this.notify(),
          now: this.now,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
      }
      return slot;
    });
    if (options.fallback) this.fallback = new Slot(options.fallback, -1, Infinity, true, options.breaker);
    for (const slot of this.all()) {
      if (this.byBackend.has(slot.backend)) throw new RangeError(`backend ${slot.backend.name} is configured twice`);
      this.byBackend.set(slot.backend, slot);
    }
  }

  /** Starts scraping every replica's metrics. */
  start(): this {
    for (const slot of this.primaries) slot.scraper?.start();
    return this;
  }

  close(): void {
    for (const slot of this.primaries) slot.scraper?.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
    this.policy?.close?.();
  }

  /** Scrapes every replica once now (tests, and a fresh start before the first request). */
  async scrapeAll(): Promise<void> {
    await Promise.all(this.primaries.flatMap((s) => (s.scraper ? [s.scraper.scrape()] : [])));
  }

  choose(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined {
    const now = this.now();
    const ready = this.ready(exclude, now);
    if (ready.length > 0) {
      if (!this.policy) return this.pickOfTwo(ready, now).backend;
      const view = this.policy.pick(
        request,
        ready.map((s) => this.view(s, now)),
        now,
      );
      const slot = this.primaries[view.index]!;
      this.lastPick = { request, slot };
      return slot.backend;
    }
    // A merely busy pool waits (see availability); the fallback stands in when every primary left for this
    // request is cooling down, or none is left.
    if (this.primaries.some((s) => !exclude.has(s.backend) && s.breaker.available(now))) return undefined;
    return this.usableFallback(exclude, now)?.backend;
  }

  availability(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): Availability {
    // The same answer as `choose` would give, without asking the policy (no decision is made here).
    const now = this.now();
    const ready = this.ready(exclude, now);
    if (ready.length > 0) {
      if (!this.policy?.admit) return 'now';
      // A cache-aware policy may keep a request for a busy replica that holds its prefix (bounded in time).
      const healthy = this.primaries.filter((s) => !exclude.has(s.backend) && s.breaker.available(now));
      const go = this.policy.admit(
        request,
        ready.map((s) => this.view(s, now)),
        healthy.map((s) => this.view(s, now)),
        now,
      );
      return go ? 'now' : 'wait';
    }
    const primaryLeft = this.primaries.some((s) => !exclude.has(s.backend) && s.breaker.available(now));
    if (!primaryLeft && this.usableFallback(exclude, now)) return 'now';
    // Busy (at target), cooling down (open) or probing (half-open with a probe out): capacity will come back.
    return this.primaries.some((s) => !exclude.has(s.backend)) ? 'wait' : 'none';
  }

  overflow(_request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined {
    return this.usableFallback(exclude, this.now())?.backend;
  }

  onCapacity(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispatched(backend: InferenceBackend): Dispatch {
    const slot = this.byBackend.get(backend);
    if (!slot) throw new RangeError(`backend ${backend.name} is not routed by this router`);
    slot.inFlight++;
    const pick = this.lastPick;
    this.lastPick = undefined;
    if (this.policy && pick?.slot === slot) this.policy.dispatched?.(pick.request, slot.index, this.now());
    const probe = slot.breaker.dispatched(this.now());
    let sawFirstToken = false;
    let finished = false;
    return {
      firstToken: () => {
        if (sawFirstToken || finished) return;
        sawFirstToken = true;
        slot.breaker.success();
      },
      done: (outcome: DispatchOutcome, error?: unknown) => {
        if (finished) return;
        finished = true;
        slot.inFlight--;
        if (outcome !== 'ok' && error !== undefined) {
          const cooldown = slot.breaker.failure(error, this.now());
          if (cooldown !== undefined) {
            this.options.onBreakerOpen?.(backend, cooldown, error);
            // Wake queued requests when the cooldown ends (the half-open probe can go then).
            const timer = setTimeout(() => {
              this.timers.delete(timer);
              this.notify();
            }, cooldown + 1);
            timer.unref();
            this.timers.add(timer);
          }
        } else if (probe && !sawFirstToken) slot.breaker.probeAbandoned();
        this.notify();
      },
    };
  }

  /** Every backend's state, primaries first. */
  status(): BackendStatus[] {
    const now = this.now();
    return this.all().map((s) => {
      const reading = s.scraper?.fresh(now);
      return {
        name: s.backend.name,
        fallback: s.fallback,
        inFlight: s.inFlight,
        load: this.load(s, now),
        score: this.score(s, now),
        breaker: s.breaker.state(now),
        stale: s.scraper ? reading === undefined : true,
        ...(s.scraper?.state.reading ? { reading: s.scraper.state.reading } : {}),
      };
    });
  }

  /** The policy's view of its decisions and state (undefined without a policy). */
  policyStatus(): Record<string, unknown> | undefined {
    return this.policy?.status?.();
  }

  private ready(exclude: ReadonlySet<InferenceBackend>, now: number): Slot[] {
    return this.primaries.filter(
      (s) => !exclude.has(s.backend) && s.breaker.available(now) && this.load(s, now) < s.target,
    );
  }

  private view(slot: Slot, now: number): ReplicaView {
    const reading = slot.scraper?.fresh(now);
    return {
      index: slot.index,
      name: slot.backend.name,
      load: this.load(slot, now),
      waiting: reading?.waiting ?? 0,
      kvUsage: reading?.kvUsage ?? 0,
      inFlight: slot.inFlight,
    };
  }

  private all(): Slot[] {
    return this.fallback ? [...this.primaries, this.fallback] : [...this.primaries];
  }

  private usableFallback(exclude: ReadonlySet<InferenceBackend>, now: number): Slot | undefined {
    const f = this.fallback;
    return f && !exclude.has(f.backend) && f.breaker.available(now) ? f : undefined;
  }

  /** Requests on the replica: ours now plus everyone else's as of the last fresh scrape. */
  private load(slot: Slot, now: number): number {
    const reading = slot.scraper?.fresh(now);
    if (!reading) return slot.inFlight;
    return slot.inFlight + Math.max(0, reading.running + reading.waiting - reading.ownInFlightAtScrape);
  }

  private score(slot: Slot, now: number): number {
    const reading = slot.scraper?.fresh(now);
    const load = this.load(slot, now);
    if (!reading) return load;
    return load + this.waitingWeight * reading.waiting + this.kvWeight * reading.kvUsage;
  }

  /** Power of two choices: two distinct random candidates, the lower score wins, a tie is broken at random. */
  private pickOfTwo(candidates: Slot[], now: number): Slot {
    if (candidates.length === 1) return candidates[0]!;
    const i = Math.floor(this.random() * candidates.length);
    let j = Math.floor(this.random() * (candidates.length - 1));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    const sa = this.score(a, now);
    const sb = this.score(b, now);
    if (sa === sb) return this.random() < 0.5 ? a : b;
    return sa < sb ? a : b;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

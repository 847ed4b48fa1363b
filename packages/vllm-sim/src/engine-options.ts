/**
 * The engine's settings (with their defaults), its observer hooks and the records it reports: the types an
 * embedder of `Engine` (engine.ts) works with, apart from the step loop itself.
 */
import { withDefaults } from './options.js';
import { KV_BLOCK_TOKENS, type SimProfile } from './profiles.js';
import type { KvCacheEvent } from './kv-cache.js';
import type { SchedulingPolicy } from './scheduler.js';
import type { FinishReason, Sequence } from './sequence.js';

/** Settings of an `Engine`; defaults in {@link DEFAULT_ENGINE_OPTIONS}. */
export interface EngineOptions {
  profile: SimProfile;
  /** `fcfs` (vLLM's default) or `priority` (lower `priority` first; may preempt lower-priority sequences). */
  policy?: SchedulingPolicy;
  /** Wall-clock speed-up: 2 runs steps twice as fast. Simulated time is unaffected. */
  speed?: number;
  /** Seed of the step-time jitter. */
  seed?: number;
  /** Log-standard-deviation of the step-time jitter (0.1 ≈ ±10 %; 0 = none). */
  jitter?: number;
  /** `realtime` (default): steps run on timers. `manual`: only `step()` advances the engine. */
  clock?: 'realtime' | 'manual';
  /** Tokens per KV block (vLLM `--block-size`, default 16). */
  blockSize?: number;
  /** Automatic prefix caching (vLLM `--enable-prefix-caching`, on by default in V1). */
  prefixCaching?: boolean;
  /** Seed of the block hash chain (vLLM: PYTHONHASHSEED); routers computing block hashes must use the same. */
  hashSeed?: number | string;
}

/** The defaults of {@link EngineOptions}. */
export const DEFAULT_ENGINE_OPTIONS: Required<Omit<EngineOptions, 'profile'>> = {
  policy: 'fcfs',
  speed: 1,
  seed: 0,
  jitter: 0.1,
  clock: 'realtime',
  blockSize: KV_BLOCK_TOKENS,
  prefixCaching: true,
  hashSeed: 0,
};

/** `options` over {@link DEFAULT_ENGINE_OPTIONS}; a RangeError for a speed that is not > 0. */
export function resolveEngineOptions(options: EngineOptions): Required<EngineOptions> {
  const resolved = withDefaults(DEFAULT_ENGINE_OPTIONS, options);
  if (!(resolved.speed > 0)) throw new RangeError(`speed must be > 0, got ${resolved.speed}`);
  return resolved;
}

/** Hooks for metrics; called synchronously from the step loop. Times are simulated ms. */
export interface EngineObserver {
  onFirstToken?(seq: Sequence): void;
  onToken?(seq: Sequence, interTokenMs: number | undefined): void;
  onFinish?(seq: Sequence, reason: FinishReason): void;
  onPreempt?(seq: Sequence): void;
  onStep?(step: StepRecord): void;
  /** A new (never preempted) request was admitted: `queries` prompt tokens looked up, `hits` found cached. */
  onPrefixCacheQuery?(queries: number, hits: number): void;
  /** KV cache events of one step (BlockStored / BlockRemoved / AllBlocksCleared), in order. */
  onKvEvents?(events: readonly KvCacheEvent[], nowMs: number): void;
}

/** What one completed step did (for tests, benchmarks and `/sim/state`). */
export interface StepRecord {
  index: number;
  startMs: number;
  durationMs: number;
  decodeSeqs: number;
  prefillTokens: number;
  running: number;
  waiting: number;
}

/** The engine's state at a glance (`/sim/state`, tests). */
export interface EngineStats {
  nowMs: number;
  steps: number;
  running: number;
  waiting: number;
  /** KV blocks in use / total, 0–1 (vLLM's `kv_cache_usage_perc`). */
  kvUsage: number;
  kvBlocksUsed: number;
  kvBlocksTotal: number;
  preemptions: number;
  policy: SchedulingPolicy;
  /** Prefix caching on, block size, and blocks registered in the prefix cache. */
  prefixCaching: boolean;
  blockSize: number;
  cachedBlocks: number;
}

/** A handle on a submitted sequence. */
export interface SequenceHandle {
  readonly id: string;
  /** Aborts the sequence (frees its KV at once); no-op when it has finished. */
  abort(): void;
  readonly finished: boolean;
}

/**
 * One simulated vLLM replica without its HTTP front: engine, serving configuration, fault injection and
 * metrics. The HTTP server (http-server.ts) and the in-process SimulatorBackend both sit on top of it.
 */
import { ApiErrors, type SimApiError } from './api-errors.js';
import { Engine } from './engine.js';
import { Faults, type FaultConfig } from './faults.js';
import { createMetrics, type SimulatorMetrics } from './metrics.js';
import { withDefaults } from './options.js';
import { resolveProfile, type ProfileOverrides, type SimProfile } from './profiles.js';
import type { ReasoningField, ServingConfig } from './requests.js';
import type { SchedulingPolicy } from './scheduler.js';
import { SimPromptTokenizer } from './token-ids.js';

/**
 * Settings of one simulated replica (what `vllm serve` flags would say, plus the simulator's own); defaults in
 * {@link DEFAULT_SIMULATOR_CORE_OPTIONS}, the profile's, and the engine's.
 */
export interface SimulatorCoreOptions {
  /** Profile name (see profiles.ts) or a full profile. */
  profile?: string | SimProfile;
  /** Served model name (default: the profile's). */
  model?: string;
  /** Sequences running at once (vLLM `--max-num-seqs`; default: the profile's). */
  maxNumSeqs?: number;
  /** Tokens per engine step (vLLM `--max-num-batched-tokens`; default: the profile's). */
  maxNumBatchedTokens?: number;
  /** Context window, prompt + completion (default: the profile's). */
  maxModelLen?: number;
  /** KV cache capacity in tokens (default: the profile's). */
  kvCacheTokens?: number;
  /** Overrides of the step-cost coefficients (ms). */
  t0?: number;
  a?: number;
  b?: number;
  /** `fcfs` or `priority`. */
  schedulingPolicy?: SchedulingPolicy;
  /** Wall-clock speed-up of the step loop. */
  speed?: number;
  /** Seed of the step jitter (answer text is seeded per request). */
  seed?: number;
  /** Step-time jitter, log-sd. */
  jitter?: number;
  /** `manual` for tests that drive the engine step by step (HTTP streams then only move on `engine.step()`). */
  clock?: 'realtime' | 'manual';
  /** Emulates a reasoning model served with `--reasoning-parser`, streaming thoughts in this delta field. */
  reasoningField?: ReasoningField;
  /** vLLM `--max-num-queued-reqs`: beyond this many waiting requests, new ones get 503. Default unbounded. */
  maxNumQueuedReqs?: number;
  /** Initial fault injection. */
  faults?: Partial<FaultConfig>;
  /** Tokens per KV block (vLLM `--block-size`, default 16). */
  blockSize?: number;
  /** Automatic prefix caching (vLLM `--enable-prefix-caching`, default on as in vLLM V1). */
  prefixCaching?: boolean;
  /** Seed of the block hash chain (vLLM: PYTHONHASHSEED); a precise router must use the same. */
  hashSeed?: number | string;
  /**
   * vLLM `--stream-interval` (default 1): a stream writes its first token at once, then a delta only when this
   * many tokens are unsent, and the rest with the finish. Fewer, larger writes for the reader.
   */
  streamInterval?: number;
}

/** The defaults of {@link SimulatorCoreOptions} (the engine's own settings default in the engine). */
export const DEFAULT_SIMULATOR_CORE_OPTIONS: Required<
  Pick<SimulatorCoreOptions, 'profile' | 'schedulingPolicy' | 'clock'>
> = {
  profile: '8b-h100',
  schedulingPolicy: 'fcfs',
  clock: 'realtime',
};

/** `options` over {@link DEFAULT_SIMULATOR_CORE_OPTIONS}; a RangeError for an unknown policy or a bad queue limit. */
export function resolveSimulatorCoreOptions(
  options: SimulatorCoreOptions = {},
): SimulatorCoreOptions & typeof DEFAULT_SIMULATOR_CORE_OPTIONS {
  const resolved = withDefaults(DEFAULT_SIMULATOR_CORE_OPTIONS, options);
  const policy: string = resolved.schedulingPolicy;
  if (policy !== 'fcfs' && policy !== 'priority')
    throw new RangeError(`scheduling policy must be fcfs or priority, got "${policy}"`);
  const interval = resolved.streamInterval;
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1))
    throw new RangeError(`streamInterval must be an integer ≥ 1, got ${interval}`);
  const limit = resolved.maxNumQueuedReqs;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
    throw new RangeError(`maxNumQueuedReqs must be an integer ≥ 0, got ${limit}`);
  return resolved;
}

/** One simulated replica without HTTP: engine, serving configuration, faults and metrics. */
export class SimulatorCore {
  readonly profile: SimProfile;
  readonly engine: Engine;
  readonly serving: ServingConfig;
  readonly faults: Faults;
  readonly metrics: SimulatorMetrics;
  readonly maxNumQueuedReqs: number | undefined;
  /** Unix seconds, reported as `created` of the model. */
  readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly options: SimulatorCoreOptions & typeof DEFAULT_SIMULATOR_CORE_OPTIONS;

  constructor(coreOptions: SimulatorCoreOptions = {}) {
    const options = resolveSimulatorCoreOptions(coreOptions);
    this.options = options;
    const overrides: ProfileOverrides = {
      model: options.model,
      maxNumSeqs: options.maxNumSeqs,
      maxNumBatchedTokens: options.maxNumBatchedTokens,
      maxModelLen: options.maxModelLen,
      kvCacheTokens: options.kvCacheTokens,
      t0: options.t0,
      a: options.a,
      b: options.b,
    };
    this.profile = resolveProfile(options.profile, overrides);
    const policy = options.schedulingPolicy;
    this.engine = new Engine({
      profile: this.profile,
      policy,
      speed: options.speed,
      seed: options.seed,
      jitter: options.jitter,
      clock: options.clock,
      blockSize: options.blockSize,
      prefixCaching: options.prefixCaching,
      hashSeed: options.hashSeed,
    });
    this.serving = {
      model: this.profile.model,
      maxModelLen: this.profile.maxModelLen,
      policy,
      tokenizer: new SimPromptTokenizer(this.engine.blockSize),
      ...(options.reasoningField ? { reasoningField: options.reasoningField } : {}),
      ...(options.streamInterval !== undefined ? { streamInterval: options.streamInterval } : {}),
    };
    this.faults = new Faults(options.faults);
    this.metrics = createMetrics(this.engine, this.profile.model, {
      hashSeed: String(options.hashSeed ?? 0),
    });
    this.maxNumQueuedReqs = options.maxNumQueuedReqs;
  }

  get model(): string {
    return this.profile.model;
  }

  /** The overload error for a new request when the waiting queue is full, else undefined. */
  queueFull(): SimApiError | undefined {
    const limit = this.maxNumQueuedReqs;
    if (limit === undefined || this.engine.waiting.length < limit) return undefined;
    return ApiErrors.overloaded(
      `The server is overloaded: ${this.engine.waiting.length} requests are already waiting (max-num-queued-reqs ${limit}).`,
    );
  }

  /** `GET /sim/state`. */
  state(): Record<string, unknown> {
    return {
      model: this.model,
      profile: this.profile,
      schedulingPolicy: this.engine.policy,
      speed: this.engine.speed,
      reasoningField: this.serving.reasoningField ?? null,
      streamInterval: this.serving.streamInterval ?? 1,
      maxNumQueuedReqs: this.maxNumQueuedReqs ?? null,
      engine: this.engine.stats(),
      faults: this.faults.current,
      clock: this.options.clock,
    };
  }

  close(): void {
    this.engine.stop();
    this.metrics.dispose();
  }
}

/**
 * Latency and capacity profiles of the simulated engine. Step cost follows the model of
 * research/vllm-bridge.md §5: `step_ms = t0 + a·B_decode + b·prefill_tokens_in_step`.
 *
 * The 70B numbers are fitted to NVIDIA's NIM benchmark (ITL 18.8/22.2/39.5/61 ms at concurrency 1/5/25/50);
 * the 8B H100 numbers follow NIM's 8B ITL curve; the A100 row is scaled by bandwidth and FLOPs and is an
 * unchecked estimate. KV capacities are rough: GPU memory left after weights, divided by bytes per token.
 */
import { withDefaults } from './options.js';

/** A latency and capacity profile of the modelled GPU and model (see the module note). */
export interface SimProfile {
  /** Profile name, as accepted by `--profile`. */
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  /** Fixed cost of one engine step, ms. */
  readonly t0: number;
  /** Cost per decoding sequence in the step, ms. */
  readonly a: number;
  /** Cost per prefill token in the step, ms. */
  readonly b: number;
  /** vLLM `--max-num-seqs`: sequences running at once. */
  readonly maxNumSeqs: number;
  /** vLLM `--max-num-batched-tokens`: tokens (decode + prefill chunks) per step. */
  readonly maxNumBatchedTokens: number;
  /** KV cache capacity in tokens (allocated in blocks of {@link KV_BLOCK_TOKENS}). */
  readonly kvCacheTokens: number;
  /** vLLM `--max-model-len`: prompt + completion limit per request. */
  readonly maxModelLen: number;
  /** Served model name. */
  readonly model: string;
}

/** vLLM's default KV block size. Usage and allocation are counted in whole blocks, as vLLM does. */
export const KV_BLOCK_TOKENS = 16;

/** The model name the profiles serve unless told otherwise. */
export const DEFAULT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

const PROFILES: readonly SimProfile[] = [
  {
    name: '8b-h100',
    description: 'Llama-3.1-8B FP8 on 1×H100 (NIM 8B ITL curve: 4.6 ms alone; b is a BF16 roofline estimate)',
    t0: 4.6,
    a: 0.035,
    b: 0.04,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCacheTokens: 450_000,
    maxModelLen: 32_768,
    model: DEFAULT_MODEL,
  },
  {
    name: '8b-bf16-h100',
    description: 'Llama-3.1-8B BF16 on 1×H100 (estimate from the roofline: t0 6.5 ms)',
    t0: 6.5,
    a: 0.04,
    b: 0.04,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCacheTokens: 400_000,
    maxModelLen: 32_768,
    model: DEFAULT_MODEL,
  },
  {
    name: '8b-a100',
    description: 'Llama-3.1-8B BF16 on 1×A100-80GB (unchecked estimate: bandwidth ×1.65, FLOPs ×3)',
    t0: 11,
    a: 0.06,
    b: 0.12,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCacheTokens: 400_000,
    maxModelLen: 8192,
    model: DEFAULT_MODEL,
  },
  {
    name: '70b-fp8-2xh100',
    description: 'Llama-3.3-70B FP8 on 2×H100 (fitted to NIM: ITL 18.6 ms alone, plateau ~93 ms)',
    t0: 18,
    a: 0.07,
    b: 0.08,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCacheTokens: 420_000,
    maxModelLen: 32_768,
    model: 'meta-llama/Llama-3.3-70B-Instruct',
  },
  {
    name: 'fast',
    description: 'For tests and demos: ~1 ms steps, same scheduler and limits as a real profile',
    t0: 1,
    a: 0.002,
    b: 0.0005,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCacheTokens: 200_000,
    maxModelLen: 8192,
    model: DEFAULT_MODEL,
  },
];

/** The names `--profile` accepts. */
export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);

/** Thrown for a profile name that is not in {@link PROFILE_NAMES}. */
export class UnknownProfileError extends Error {
  override readonly name = 'UnknownProfileError';
}

/** Looks a profile up by name; throws {@link UnknownProfileError} listing the known names. */
export function getProfile(name: string): SimProfile {
  const profile = PROFILES.find((p) => p.name === name);
  if (!profile)
    throw new UnknownProfileError(`unknown simulator profile "${name}" (known: ${PROFILE_NAMES.join(', ')})`);
  return profile;
}

/** Every built-in profile, in the order `--help` lists them. */
export function listProfiles(): readonly SimProfile[] {
  return PROFILES;
}

/** Overrides applied on top of a named profile (CLI flags and `startSimulator` options). */
export type ProfileOverrides = Partial<Omit<SimProfile, 'name' | 'description'>>;

/** A profile with overrides, validated so the engine can rely on positive, consistent limits. */
export function resolveProfile(base: string | SimProfile, overrides: ProfileOverrides = {}): SimProfile {
  const merged: SimProfile = withDefaults(typeof base === 'string' ? getProfile(base) : base, overrides);
  for (const key of ['t0', 'a', 'b'] as const) {
    if (!(merged[key] >= 0)) throw new RangeError(`profile ${key} must be ≥ 0, got ${merged[key]}`);
  }
  for (const key of ['maxNumSeqs', 'maxNumBatchedTokens', 'kvCacheTokens', 'maxModelLen'] as const) {
    if (!Number.isInteger(merged[key]) || merged[key] < 1)
      throw new RangeError(`${key} must be a positive integer, got ${merged[key]}`);
  }
  // vLLM refuses to start when one max-length sequence cannot fit in the KV cache; so do we.
  if (merged.kvCacheTokens < merged.maxModelLen) {
    throw new RangeError(`kvCacheTokens (${merged.kvCacheTokens}) must be ≥ maxModelLen (${merged.maxModelLen})`);
  }
  if (!merged.model) throw new RangeError('model name must not be empty');
  return merged;
}

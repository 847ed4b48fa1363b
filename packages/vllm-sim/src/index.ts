/**
 * `@locallightchat/vllm-sim` — a vLLM-faithful simulator (see README.md).
 *
 * - `startSimulator(options)`: one simulated replica behind vLLM's HTTP API on its own port.
 * - `SimulatorCore`: the same replica without HTTP (used by the in-process `SimulatorBackend`, exported from
 *   `@locallightchat/vllm-sim/backend`).
 * - `Engine`: the discrete-event step loop, for tests and benchmarks that drive simulated time directly.
 * - Profiles (latency and capacity of the modelled GPU) and fault injection.
 *
 * What tests need beyond this (request parsing, the text generator and tokenizer, the seeded random source,
 * option resolvers) is in `@locallightchat/vllm-sim/internal`.
 */
export {
  DEFAULT_SIMULATOR_OPTIONS,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from './http-server.js';
export { DEFAULT_SIMULATOR_CORE_OPTIONS, SimulatorCore, type SimulatorCoreOptions } from './core.js';
export {
  DEFAULT_ENGINE_OPTIONS,
  Engine,
  type EngineObserver,
  type EngineOptions,
  type EngineStats,
  type FinishReason,
  type SchedulingPolicy,
  type SequenceHandle,
  type SequenceListener,
  type SequenceResult,
  type SequenceSpec,
  type StepRecord,
} from './engine.js';
export type { GeneratedToken, TokenSource } from './text-generator.js';
export {
  DEFAULT_MODEL,
  KV_BLOCK_TOKENS,
  PROFILE_NAMES,
  UnknownProfileError,
  getProfile,
  listProfiles,
  resolveProfile,
  type ProfileOverrides,
  type SimProfile,
} from './profiles.js';
export { DEFAULT_FAULTS, FaultConfigError, Faults, type FaultConfig, type FaultDecision } from './faults.js';
export { SimApiError } from './api-errors.js';
export type { ReasoningField, ServingConfig } from './requests.js';
export type { SimulatorMetrics } from './metrics.js';
export {
  DEFAULT_KV_EVENTS,
  KvEventPublisher,
  KvEventsConfigError,
  resolveKvEventsConfig,
  type KvEventsConfig,
} from './kv-events.js';
export type { KvCacheEvent } from './kv-cache.js';
export { SimPromptTokenizer } from './token-ids.js';

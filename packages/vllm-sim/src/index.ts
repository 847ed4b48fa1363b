/**
 * `@locallightchat/vllm-sim` — a vLLM-faithful simulator (see README.md).
 *
 * - `startSimulator(options)`: one simulated replica behind vLLM's HTTP API on its own port.
 * - `SimulatorCore`: the same replica without HTTP (used by the in-process `SimulatorBackend`, exported from `@locallightchat/vllm-sim/backend`).
 * - `Engine`: the discrete-event step loop, for tests and benchmarks that drive simulated time directly.
 */
export { startSimulator, type RunningSimulator, type SimulatorOptions } from './http-server.js';
export { SimulatorCore, type SimulatorCoreOptions } from './core.js';
export {
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
export { ApiErrors, SimApiError } from './api-errors.js';
export {
  prepareChat,
  prepareCompletion,
  type PreparedRequest,
  type ReasoningField,
  type ServingConfig,
} from './requests.js';
export {
  answerText,
  createAnswer,
  topicOf,
  type AnswerOptions,
  type GeneratedToken,
  type TokenSource,
} from './text-generator.js';
export { countChatPromptTokens, countCompletionPromptTokens, countTokens, tokenize } from './tokenizer.js';
export { Rng, hash32 } from './random.js';

/**
 * Adapters of the InferenceBackend port (backend.ts):
 * - `OpenAIBackend`: vLLM's (or any) OpenAI-compatible streaming API over HTTP.
 * The simulator's in-process adapter (`SimulatorBackend`) lives in `@locallightchat/vllm-sim/backend`, so a
 * production bridge never ships the simulator; both pass the conformance suite in conformance.ts.
 */
export {
  DEFAULT_OPENAI_BACKEND_OPTIONS,
  OpenAIBackend,
  resolveOpenAIBackendOptions,
  type OpenAIBackendOptions,
} from './openai-backend.js';
export * from './openai-errors.js';
export * from './openai-chunks.js';

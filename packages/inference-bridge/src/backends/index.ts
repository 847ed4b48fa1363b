/**
 * Adapters of the InferenceBackend port (backend.ts):
 * - `OpenAIBackend`: vLLM's (or any) OpenAI-compatible streaming API over HTTP.
 * - `SimulatorBackend`: the vLLM simulator's engine in-process.
 * Both pass the conformance suite in conformance.ts.
 */
export { OpenAIBackend, type OpenAIBackendOptions } from './openai-backend.js';
export { SimulatorBackend, type SimulatorBackendOptions } from './simulator-backend.js';
export { httpError, kindForStatus, parseRetryAfter, readErrorObject, streamError, type ServerErrorInfo } from './openai-errors.js';
export { readChunk, type ChunkReading } from './openai-chunks.js';

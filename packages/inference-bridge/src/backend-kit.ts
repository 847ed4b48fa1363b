/**
 * `@locallightchat/inference-bridge/backend-kit` — what an adapter of the InferenceBackend port needs beyond
 * the port itself, so adapters share one implementation of the rules the conformance suite checks
 * (`@locallightchat/inference-bridge/conformance`):
 *
 * - `guardFirstToken`: the caller's abort, the first-token timeout and errors that know whether a token went out
 *   (`openGuardedExchange`: the same rules for a producer that is itself the stream's generator);
 * - `chatCompletionBody`: the OpenAI-compatible request body;
 * - the readers of OpenAI-compatible answers: `readChunk` (one stream line), `SseDataReader` (an SSE body),
 *   `httpError` / `streamError` / `kindForStatus` / `readErrorObject` / `parseRetryAfter` (errors).
 *
 * - `TextKeyedMap`: a cache keyed by long strings (prompt messages), e.g. for an adapter's tokenizer.
 *
 * `OpenAIBackend` is built from these, and so is the simulator's in-process `SimulatorBackend`.
 */
export {
  guardFirstToken,
  openGuardedExchange,
  type GuardedExchange,
  type ExchangeErrorDetails,
  type FirstTokenGuardOptions,
  type StreamExchange,
} from './backends/first-token-guard.js';
export { chatCompletionBody } from './backends/openai-wire.js';
export { readChunk, type ChunkReading } from './backends/openai-chunks.js';
export {
  describeFetchError,
  httpError,
  kindForStatus,
  parseRetryAfter,
  readErrorObject,
  streamError,
  type ServerErrorInfo,
} from './backends/openai-errors.js';
export { SseDataReader, SseEventTooLargeError } from './backends/sse-data.js';
export { TextKeyedMap } from './routing/text-keyed-map.js';

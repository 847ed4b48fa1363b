/**
 * @locallightchat/inference-bridge — generation workers between the broker and vLLM-compatible servers.
 *
 * - backend.ts: the InferenceBackend port (OpenAIBackend over HTTP, SimulatorBackend in-process)
 * - worker/: the Bridge (work-queue consumer, batching, failover before the first token) and the Router port
 * - simulator/: a vLLM-faithful simulator (separate export: `@locallightchat/inference-bridge/simulator`)
 */
export * from './backend.js';
export * from './backends/index.js';
export { Bridge, type BridgeOptions } from './worker/bridge.js';
export { RoundRobinRouter, type Router, type DispatchOutcome } from './worker/router.js';
export { TokenBatcher, type Batch, type TokenBatcherOptions } from './worker/token-batcher.js';
export { toUserError, type UserFacingError } from './worker/error-mapping.js';

/**
 * @locallightchat/inference-bridge/internal — everything of the public entry and of `./backend-kit`, plus the
 * parts the bridge is built from, for tests and benchmarks: the admission queue, circuit breaker, load scraper
 * and Prometheus reader, the token batcher, the mapping of failures to user-facing errors, and the option
 * resolvers. Not a stable API: it changes with the bridge.
 */
export * from './index.js';
export * from './backend-kit.js';
export { resolveOpenAIBackendOptions } from './backends/index.js';
export { resolveBridgeOptions } from './worker/bridge-options.js';
export { resolveLoadAwareRouterOptions } from './routing/load-aware-router.js';
export {
  AdmissionQueue,
  resolveAdmissionQueueOptions,
  type AcquireOptions,
  type Lease,
} from './routing/admission-queue.js';
export { CircuitBreaker, resolveCircuitBreakerOptions } from './routing/circuit-breaker.js';
export { LoadScraper, VLLM_LOAD_METRICS, type LoadScraperOptions } from './routing/load-scraper.js';
export { MAX_EXPOSITION_CHARS, PrometheusParseError, sumSamples, type SampleSum } from './routing/prometheus-text.js';
export {
  DEFAULT_TOKEN_BATCHER_OPTIONS,
  TokenBatcher,
  resolveTokenBatcherOptions,
  type Batch,
  type TokenBatcherOptions,
} from './worker/token-batcher.js';
export { StreamPublisher } from './worker/stream-publisher.js';
export { toUserError, type UserFacingError } from './worker/error-mapping.js';
export { withDefaults } from './options.js';
export {
  BlockSequence,
  CharUnits,
  DEFAULT_PROMPT_BLOCKS,
  PromptBlocks,
  type PromptBlockList,
  type PromptBlocksOptions,
  type PromptSegment,
} from './routing/prompt-blocks.js';
export { DEFAULT_PREFIX_INDEX, PrefixIndex, type PrefixIndexOptions } from './routing/prefix-index.js';
export { KvEventDecodeError, decodeKvEventBatch, type KvEventBatch } from './routing/kv-event-codec.js';
export { TextKeyedMap, textFingerprint } from './routing/text-keyed-map.js';

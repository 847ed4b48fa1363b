/**
 * @locallightchat/inference-bridge — generation workers between the broker and vLLM-compatible servers.
 *
 * - backend.ts: the InferenceBackend port; backends/: its OpenAI-compatible HTTP adapter (OpenAIBackend)
 * - router.ts: the Router port (which backend serves a request) and RoundRobinRouter
 * - worker/: the Bridge (work-queue consumer, batching, failover before the first token) and its Prometheus
 *   metrics
 * - routing/: LoadAwareRouter (scraped vLLM load + own in-flight, power of two choices, circuit breakers, cloud
 *   fallback) and the AdmissionQueue (priority queue with queue positions)
 *
 * The vLLM simulator and its in-process backend are a package of their own, `@locallightchat/vllm-sim`.
 */
export * from './backend.js';
export * from './backends/index.js';
export { Bridge, type BridgeOptions } from './worker/bridge.js';
export { RoundRobinRouter, type Availability, type Dispatch, type DispatchOutcome, type Router } from './router.js';
export { BridgeMetrics, type RequestOutcome } from './worker/bridge-metrics.js';
export {
  LoadAwareRouter,
  type BackendStatus,
  type LoadAwareRouterOptions,
  type RoutedBackend,
} from './routing/load-aware-router.js';
export {
  AdmissionQueue,
  type AcquireOptions,
  type AdmissionQueueOptions,
  type Lease,
} from './routing/admission-queue.js';
export { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './routing/circuit-breaker.js';
export { LoadScraper, VLLM_LOAD_METRICS, type LoadReading, type LoadScraperOptions } from './routing/load-scraper.js';
export { PrometheusParseError, sumSamples, type SampleSum } from './routing/prometheus-text.js';
export { TokenBatcher, type Batch, type TokenBatcherOptions } from './worker/token-batcher.js';
export { toUserError, type UserFacingError } from './worker/error-mapping.js';

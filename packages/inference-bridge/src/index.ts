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
 * This entry is what an application running a bridge needs. Other entries: `./backend-kit` (for writing an
 * InferenceBackend adapter), `./conformance` (the port's conformance suite), `./internal` (the parts the
 * bridge is built from, for tests and benchmarks; not a stable API).
 *
 * The vLLM simulator and its in-process backend are a package of their own, `@locallightchat/vllm-sim`.
 */
export {
  InferenceError,
  type BackendFinishReason,
  type InferenceBackend,
  type InferenceErrorKind,
  type InferenceEvent,
  type InferenceRequest,
  type ToolCallDelta,
  type ToolChoice,
  type ToolDefinition,
  type Usage,
} from './backend.js';
export { ToolCallAssembler, readToolCallDeltas, type AssembledToolCall } from './backends/openai-tool-calls.js';
export { DEFAULT_OPENAI_BACKEND_OPTIONS, OpenAIBackend, type OpenAIBackendOptions } from './backends/index.js';
export { RoundRobinRouter, type Availability, type Dispatch, type DispatchOutcome, type Router } from './router.js';
export {
  DEFAULT_ATTACHMENT_POLICY,
  resolveAttachmentParts,
  type AttachmentPolicy,
  type ContentPart,
  type InferenceMessage,
} from './attachments/content-parts.js';
export { Bridge } from './worker/bridge.js';
export { DEFAULT_BRIDGE_OPTIONS, type BridgeOptions } from './worker/bridge-options.js';
export { BridgeMetrics, type RequestOutcome } from './worker/bridge-metrics.js';
export {
  DEFAULT_LOAD_AWARE_ROUTER_OPTIONS,
  LoadAwareRouter,
  type BackendStatus,
  type LoadAwareRouterOptions,
  type RoutedBackend,
} from './routing/load-aware-router.js';
export { DEFAULT_ADMISSION_QUEUE_OPTIONS, type AdmissionQueueOptions } from './routing/admission-queue.js';
export {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  type BreakerState,
  type CircuitBreakerOptions,
} from './routing/circuit-breaker.js';
export type { LoadReading } from './routing/load-scraper.js';
// Cache-aware routing (BRIDGE.md, "Routing policies"): the policies by name, the KV event subscription of the
// precise one, and the block hash rule an engine and a precise router must share.
export {
  DEFAULT_ROUTING_POLICY,
  ROUTER_KINDS,
  createRoutingPolicy,
  isRouterKind,
  resolveRoutingPolicyOptions,
  subscribeKvEvents,
  type RouterKind,
  type RoutingPolicyOptions,
} from './routing/router-factory.js';
export { RandomPolicy, RoundRobinPolicy, type ReplicaView, type RoutingPolicy } from './routing/routing-policy.js';
export { DEFAULT_PREFIX_POLICY, PrefixPolicy, type PrefixPolicyOptions } from './routing/prefix-policy.js';
export {
  KvEventSubscriber,
  type KvEventSource,
  type KvEventSubscriberOptions,
  type KvSubscriptionStats,
} from './routing/kv-event-subscriber.js';
export type { KvEvent } from './routing/kv-event-codec.js';
export type { PromptTokenizer } from './routing/prompt-blocks.js';
export { BLOCK_HASH_BITS, blockHashKey, hashBlock, hashFullBlocks, rootBlockHash } from './routing/block-hash.js';

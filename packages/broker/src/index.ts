/**
 * @locallightchat/broker — the port between relays and inference bridges.
 *
 * `MemoryBroker` runs everything in one process (the embedded default); `NatsBroker` spreads relays and
 * bridges over processes and nodes with NATS core subjects for live fan-out and JetStream for the work queue
 * and for retained events. Both pass `runBrokerConformance` (`@locallightchat/broker/conformance`).
 *
 * This entry is what a relay, a bridge or an application needs. What adapters, tests and benchmarks need beyond
 * it (the message codecs and subjects, the replay rule, listener sets, option resolvers) is in
 * `@locallightchat/broker/internal`.
 */
export {
  BrokerUnavailableError,
  type Broker,
  type BrokerStatus,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type EventListener,
  type ReplayQuery,
  type RequestHandler,
  type SubmitOptions,
  type SubmitResult,
  type Subscription,
} from './broker.js';
export type { ConversationEvent, GenerationRequest, PromptMessage } from './messages.js';
export { contextFromTrace, readTraceContext, traceContextOf, type TraceContext } from './trace-context.js';
export { DEFAULT_MEMORY_BROKER_OPTIONS, MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
export { NatsBroker } from './nats-broker.js';
export { DEFAULT_NATS_BROKER_OPTIONS, type NatsBrokerOptions } from './nats-options.js';
export type { NatsSecurityOptions } from './nats-security.js';

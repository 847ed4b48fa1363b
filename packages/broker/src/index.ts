/**
 * @locallightchat/broker — the port between relays and inference bridges.
 *
 * `MemoryBroker` runs everything in one process (the embedded default); `NatsBroker` spreads relays and
 * bridges over processes and nodes with NATS core subjects for live fan-out and JetStream for the work queue
 * and for retained events. Both pass `runBrokerConformance` (./conformance).
 */
export * from './broker.js';
export * from './messages.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
export { ListenerSet } from './listener-set.js';
export { matchesReplay } from './replay-filter.js';
export { NatsBroker, type NatsBrokerOptions } from './nats-broker.js';

/**
 * @locallightchat/broker/internal — everything of the public entry, plus what adapters, tests and benchmarks
 * need: the wire codecs of requests and events, the NATS subjects and message ids, the replay rule shared by
 * every adapter, `ListenerSet`, and the option resolvers. Not a stable API: it changes with the adapters.
 */
export * from './index.js';
export { BrokerMessageError, Subjects, decodeEvent, decodeRequest, encodeRequest, eventMessageId } from './messages.js';
export { ListenerSet } from './listener-set.js';
export { matchesReplay } from './replay-filter.js';
export { resolveMemoryBrokerOptions } from './memory-broker.js';
export { resolveNatsBrokerOptions } from './nats-options.js';
export { withDefaults } from './options.js';
export { TurnPublisher } from './turn-publisher.js';

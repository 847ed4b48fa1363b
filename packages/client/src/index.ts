/**
 * @locallightchat/client — the framework-free browser client.
 */
export { LlcClient, LlcClientError, type LlcClientOptions, type ClientStats } from './client.js';
export { IdbLocalStore, MemoryLocalStore, defaultLocalStore, type LocalStore } from './persistence/local-store.js';
export {
  Session,
  type ConnectionStatus,
  type SessionOptions,
  type SessionHooks,
  type StatusDetail,
  type TokenProvider,
  type TokenRequest,
} from './session.js';
export { ConversationStore, type StoreEvents } from './conversation-store.js';
export { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export type { Transport, TransportFactory, TransportHandlers } from './transports/transport.js';
export { webSocketTransport } from './transports/websocket.js';
export { sseTransport, sseBaseUrl } from './transports/sse.js';
export { transportFor } from './transports/select.js';
export type { ConnectionMode, TransportChoice } from './links/link.js';
export type { ConnectionPreference } from './links/create.js';
export { workerScriptUrl, constructWorker, WORKER_POLICY } from './links/worker-script-url.js';
export type { ClientMessage, ConversationSnapshot, MessageStatus, SendOptions, StreamMetrics } from './types.js';
export { tokenFromEndpoint, type TokenEndpointOptions } from './token-endpoint.js';

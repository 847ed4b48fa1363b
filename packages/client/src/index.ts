/**
 * @locallightchat/client — the framework-free browser client: what an app needs to use it.
 *
 * The parts it is made of (Session, ConversationStore, StreamTracker, Outbox, transports, links, Backoff…) are
 * exported by `@locallightchat/client/internal`, for tests and tools; they may change between versions.
 */
export { LlcClient, type ClientStats } from './client.js';
export { DEFAULT_CLIENT_OPTIONS, LlcClientError, type LlcClientOptions } from './client-options.js';
export type { ConversationListPage, ListConversationsOptions } from './conversation-library.js';
export type {
  ConversationEventDetail,
  LibraryEventDetail,
  LlcClientEventMap,
  ModeEventDetail,
  NoticeEventDetail,
  StatusEventDetail,
  StreamEndEventDetail,
  TypedEventTarget,
} from './events.js';
export {
  isLive,
  isSettled,
  type ClientAttachment,
  type ClientMessage,
  type ConversationSnapshot,
  type MessageStatus,
  type SendOptions,
  type StreamMetrics,
} from './types.js';
export type { ConnectionStatus, StatusDetail, TokenProvider, TokenRequest } from './session.js';
export { tokenFromEndpoint, DEFAULT_TOKEN_ENDPOINT, type TokenEndpointOptions } from './token-endpoint.js';
export {
  AttachmentUploadError,
  relayPresign,
  type AttachmentFile,
  type PresignUpload,
  type PresignedUpload,
  type UploadProgress,
} from './attachments/upload.js';
export type { LocalStore } from './persistence/local-store.js';
export type { BackoffOptions } from './backoff.js';
export type { ConnectionMode } from './links/link.js';
export type { ConnectionPreference } from './links/create.js';
export type {
  Transport,
  TransportChoice,
  TransportFactory,
  TransportHandlers,
  TransportKind,
} from './transports/transport.js';
// Worker scripts under Trusted Types: the elements create their highlight worker the same way.
export { WORKER_POLICY, constructWorker, workerScriptUrl } from './links/worker-script-url.js';

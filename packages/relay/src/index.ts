/**
 * @locallightchat/relay — the edge of LocalLightChat: a uWebSockets.js server that speaks the protocol to
 * browsers over WebSocket (and Server-Sent Events where WebSockets are blocked), authenticates them with JWTs,
 * fans a conversation's stream out from the broker to every socket that holds it, resumes streams after a
 * reconnect, and keeps history in a {@link Store}.
 *
 * This entry is what a library user needs to run a relay. Two more entries: `@locallightchat/relay/conformance`
 * (the Store port's conformance suite, for your own adapter) and `@locallightchat/relay/internal` (parts this
 * repository's tests and benchmarks reach, with no stability promise).
 */
export { startRelay, RelayListenError, type Relay } from './server.js';
export type { RelayDeps } from './context.js';
export { defaultTitle, type TitleHook, type TitleInput } from './conversations/titles.js';
export { DEFAULT_CONFIG, resolveConfig, type RelayConfig } from './config.js';
export {
  Authenticator,
  AuthError,
  AuthConfigError,
  DEFAULT_AUTH_CONFIG,
  type AuthConfig,
  type Principal,
} from './auth/authenticator.js';
export { RelayMetrics, DEFAULT_METRICS_OPTIONS, type RelayMetricsOptions } from './metrics.js';
export { consoleLogger, type Logger } from './log.js';
export {
  StoreUnavailableError,
  QuotaExceededError,
  storedBytes,
  type QuotaKind,
  type Store,
  type StoreStatus,
  type AppendResult,
  type MessagePage,
  type SessionRecord,
  type FeedbackRecord,
  type ConversationPage,
  type ListConversationsOptions,
} from './store/store.js';
export type { TokenBucketPolicy, Reservation } from './limits/token-bucket.js';
export {
  MemoryStore,
  ConversationNotClaimedError,
  DEFAULT_MEMORY_STORE_OPTIONS,
  type MemoryStoreOptions,
} from './store/memory-store.js';
export { DEFAULT_USER_QUOTAS, type UserQuotas } from './store/user-quotas.js';
export { RedisStore, DEFAULT_REDIS_STORE_OPTIONS, type RedisStoreOptions } from './store/redis-store.js';
export {
  assertNativeUws,
  chooseUwsBuild,
  isNativeUws,
  NativeUwsMissingError,
  UWS_BUILDS,
  uwsBuildDescription,
  type UwsBuild,
  type UwsChoice,
} from './uws.js';

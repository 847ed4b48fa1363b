/**
 * @locallightchat/relay — the uWebSockets.js edge.
 */
export { startRelay, type Relay, type RelayDeps } from './server.js';
export { DEFAULT_CONFIG, resolveConfig, type RelayConfig } from './config.js';
export {
  Authenticator,
  AuthError,
  AuthConfigError,
  tokenAllows,
  type AuthConfig,
  type Principal,
} from './auth/authenticator.js';
export { RelayMetrics } from './metrics.js';
export { consoleLogger, type Logger } from './log.js';
export type { Store, StoreStatus, AppendResult, MessagePage } from './store/store.js';
export { StoreUnavailableError } from './store/store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { RedisStore, type RedisStoreOptions } from './store/redis-store.js';
export { assertNativeUws, NativeUwsMissingError } from './uws.js';
export { idsForSend, assistantMessageId } from './conversations/ids.js';

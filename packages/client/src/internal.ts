/**
 * @locallightchat/client/internal — the parts the client is made of, for tests, benchmarks and tools. Not a
 * stable API: an app uses `@locallightchat/client`. Everything public is exported here too.
 */
export * from './index.js';
export { Session, DEFAULT_SESSION, resolveSessionOptions, type SessionOptions, type SessionHooks } from './session.js';
export { linkOptions, resolveClientOptions, type ResolvedClientOptions } from './client-options.js';
export { ConversationStore } from './conversation-store.js';
export { ConversationSync, HISTORY_PAGE, type StreamEndListener } from './conversation-sync.js';
export { StreamTracker } from './stream-tracker.js';
export { Outbox } from './outbox.js';
export { IdbLocalStore, MemoryLocalStore, defaultLocalStore } from './persistence/local-store.js';
export { CacheWriter, CACHE_SAVE_DELAY_MS } from './persistence/cache-writer.js';
export { Backoff, DEFAULT_BACKOFF } from './backoff.js';
export { webSocketTransport } from './transports/websocket.js';
export { sseTransport, sseBaseUrl } from './transports/sse.js';
export { transportFor } from './transports/select.js';
export { createLink, type LinkOptions } from './links/create.js';
export type { Link, LinkHooks, OwnerConfig } from './links/link.js';
export { isTrustedTypesError, trustedTypesEnforced } from './links/worker-script-url.js';
export { withDefaults } from './options.js';
export { listConversationsFrame } from './conversation-library.js';

/**
 * Everything a connection's handlers need, passed explicitly (no module-level state), so several relays can
 * live in one process (tests) and every dependency is a port that can be swapped.
 */
import type { Broker } from '@locallightchat/broker';
import type { Authenticator } from './auth/authenticator.js';
import type { RelayConfig } from './config.js';
import type { ConversationHub } from './conversations/conversation-hub.js';
import type { Logger } from './log.js';
import type { RelayMetrics } from './metrics.js';
import type { Store } from './store/store.js';
import type { SendQueueOptions } from './ws/send-queue.js';

export interface RelayContext {
  readonly config: RelayConfig;
  readonly broker: Broker;
  readonly store: Store;
  readonly hub: ConversationHub;
  readonly auth: Authenticator;
  readonly metrics: RelayMetrics;
  readonly log: Logger;
  /** Shared by every connection's send queue (derived from the config once). */
  readonly sendQueueOptions: SendQueueOptions;
  /** True once a graceful drain started: new messages are refused with a retryable error. */
  readonly draining: boolean;
}

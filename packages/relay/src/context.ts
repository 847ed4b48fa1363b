/**
 * Everything a connection and its handlers need, passed explicitly (no module-level state), so several relays
 * can live in one process (tests) and every dependency is a port that can be swapped.
 */
import type { Broker } from '@locallightchat/broker';
import { AttachmentCheck, type VerifyAttachment } from './attachments/attachment-check.js';
import { UploadStore } from './attachments/upload-store.js';
import type { Tracer } from '@opentelemetry/api';
import type { Authenticator } from './auth/authenticator.js';
import { SubscriptionGrants } from './auth/subscription-grant.js';
import type { RelayConfig } from './config.js';
import { resolveSendQueueOptions, type SendQueueOptions } from './connection/send-queue.js';
import { SessionMemory } from './connection/session-memory.js';
import { ConversationHub } from './conversations/conversation-hub.js';
import { AbuseLimits } from './limits/abuse-limits.js';
import { defaultTitle, type TitleHook } from './conversations/titles.js';
import { FeedbackWebhook } from './feedback/feedback-webhook.js';
import { consoleLogger, type Logger } from './log.js';
import { RelayMetrics } from './metrics.js';
import { countedStore } from './store/counted-store.js';
import type { Store } from './store/store.js';

/** The ports a relay runs on. The broker and store belong to the caller, who closes them after the relay. */
export interface RelayDeps {
  broker: Broker;
  store: Store;
  auth: Authenticator;
  /** Default: a new registry with Node's process metrics. */
  metrics?: RelayMetrics;
  /** Default: {@link consoleLogger} named `llc-relay`. */
  log?: Logger;
  /** Titles new conversations from their first message (default {@link defaultTitle}: its first line). */
  titleFor?: TitleHook;
  /**
   * Accepts attachments stored outside this relay's upload endpoint (your object store); without it, messages may
   * only carry uploads of `uploadDir`. See attachments/attachment-check.ts.
   */
  verifyAttachment?: VerifyAttachment;
  /**
   * Records an OpenTelemetry span per answer (send → stream-end) and sends its trace context with the request to
   * the bridge. Default: none (tracing off; no tracing code runs). `llc-relay --otel-endpoint` passes one; an app
   * with its own OpenTelemetry SDK can pass `trace.getTracer('@locallightchat/relay')`.
   */
  tracer?: Tracer;
}

/** One relay's configuration, ports and services, shared by its connections, handlers and transports. */
export interface RelayContext {
  readonly config: RelayConfig;
  readonly broker: Broker;
  readonly store: Store;
  readonly hub: ConversationHub;
  readonly sessions: SessionMemory;
  readonly auth: Authenticator;
  readonly metrics: RelayMetrics;
  readonly log: Logger;
  /** Per-user and per-address limits shared across processes through the store. */
  readonly limits: AbuseLimits;
  /** Suggests the title of a new conversation. */
  readonly titleFor: TitleHook;
  /** Offers stored ratings to the app, when `feedbackWebhookUrl` is set. */
  readonly feedbackWebhook?: FeedbackWebhook;
  /** The upload endpoint's store (with `uploadDir`). */
  readonly uploads?: UploadStore;
  /** Whether a sender may use a message's attachments. */
  readonly attachments: AttachmentCheck;
  /** Signs and checks the ownership grants of `subscribed` / `subscribe`. */
  readonly grants: SubscriptionGrants;
  /** Shared by every connection's send queue (derived from the config once). */
  readonly sendQueueOptions: SendQueueOptions;
  /** True once a graceful drain started: new connections and messages are refused (retryable). */
  readonly draining: boolean;
}

/** The context as the server holds it: the one place that starts the drain. */
export type OwnedRelayContext = Omit<RelayContext, 'draining'> & { draining: boolean };

/** Builds a relay's context from its config and ports (the hub starts its sweep here; `hub.close()` stops it). */
export function createContext(config: RelayConfig, deps: RelayDeps): OwnedRelayContext {
  const metrics = deps.metrics ?? new RelayMetrics();
  const log = deps.log ?? consoleLogger('llc-relay');
  // Every part of the relay reaches the Store through this view, which counts the calls by method.
  const store = countedStore(deps.store, metrics.storeCalls);
  const hub = new ConversationHub(
    deps.broker,
    store,
    metrics,
    {
      ringBatches: config.ringBatches,
      endedRetentionMs: config.endedStreamRetentionMs,
      lingerMs: config.conversationLingerMs,
      stallTimeoutMs: config.streamStallTimeoutMs,
    },
    (m, e, f) => log.warn(m, e, f),
    deps.tracer,
  );
  const uploads = config.uploadDir
    ? new UploadStore(
        {
          dir: config.uploadDir,
          maxBytes: config.uploadMaxBytes,
          maxBytesPerUser: config.uploadMaxBytesPerUser,
          mediaTypes: config.uploadMediaTypes,
        },
        store,
      )
    : undefined;
  return {
    config,
    broker: deps.broker,
    store,
    hub,
    sessions: new SessionMemory(store, config.sessionTtlSec, log),
    auth: deps.auth,
    metrics,
    log,
    limits: new AbuseLimits(config, store, (m, e) => log.warn(m, e)),
    titleFor: deps.titleFor ?? defaultTitle,
    ...(config.feedbackWebhookUrl
      ? { feedbackWebhook: new FeedbackWebhook({ url: config.feedbackWebhookUrl }, log) }
      : {}),
    ...(uploads ? { uploads } : {}),
    attachments: new AttachmentCheck(config.maxAttachments, uploads, deps.verifyAttachment),
    grants: new SubscriptionGrants(config.grantSecret, config.grantTtlMs),
    sendQueueOptions: resolveSendQueueOptions({
      highWaterBytes: config.sendHighWaterBytes,
      hardLimitBytes: config.sendHardLimitBytes,
      prioritizeFirstTokens: config.prioritizeFirstTokens,
    }),
    draining: false,
  };
}

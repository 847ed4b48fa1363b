/**
 * Relay settings with their defaults. The CLI maps flags and LLC_* environment variables onto these; library
 * users pass a partial object to {@link resolveConfig}.
 */
import { ATTACHMENT_LIMITS, DEFAULT_CLIENT_LIMITS } from '@locallightchat/protocol';
import { DEFAULT_SEND_QUEUE_OPTIONS } from './connection/send-queue.js';
import { DEFAULT_HUB_OPTIONS } from './conversations/hub-options.js';
import { DEFAULT_ABUSE_LIMITS, type AbuseLimitOptions } from './limits/abuse-limits.js';
import { DEFAULT_UPLOAD_STORE_OPTIONS } from './attachments/upload-store.js';
import type { TokenBucketPolicy } from './limits/token-bucket.js';
import { withDefaults } from './options.js';

/** Every setting of a relay; {@link startRelay} takes a partial (see {@link resolveConfig}). */
export interface RelayConfig extends AbuseLimitOptions {
  /** Interface to listen on. */
  host: string;
  /** Port; 0 picks a free one (printed at start). */
  port: number;
  /** WebSocket endpoint path. */
  wsPath: string;
  /** Serve the files of this directory at `/` (e.g. a built chat page), so page and relay share an origin. */
  staticDir?: string;
  /**
   * Run the small upload endpoint (`POST /uploads`, `PUT`/`GET /uploads/<id>`) with files kept in this directory
   * (see attachments/upload-store.ts): for demos and single hosts. In production, clients upload to your object
   * store with presigned URLs and the relay's `verifyAttachment` hook accepts them. Undefined = no endpoint.
   */
  uploadDir?: string;
  /** Largest file the upload endpoint takes, bytes (default 10 MiB). */
  uploadMaxBytes: number;
  /**
   * Bytes of files one user may hold in `uploadDir` (default 100 MiB), counted in the Store so every relay
   * process shares it; past it uploads are refused (413, `upload-quota-exceeded`). Upload requests per user are
   * limited by `uploadRatePerUser` (429, `rate-limited`).
   */
  uploadMaxBytesPerUser: number;
  /** Media types the upload endpoint takes (`type/*` wildcards allowed). */
  uploadMediaTypes: string[];
  /** Most attachments on one message (at most the protocol's 16). */
  maxAttachments: number;
  /**
   * Serve HTTPS and wss:// itself (uWS.SSLApp) with this PEM certificate chain and key; undefined = plain
   * HTTP, for a relay behind a TLS-terminating proxy (deploy/nginx/llc.conf).
   */
  tls?: { certFile: string; keyFile: string; passphrase?: string };
  /** Origins allowed to open WebSockets (exact match); undefined = any. */
  allowedOrigins?: string[];
  /**
   * Behind a reverse proxy: the request header that carries the client's address (e.g. `x-forwarded-for`, whose
   * first entry is used), for the per-address limits. Undefined = the socket's peer address. Set it only when
   * the proxy overwrites that header, else clients can pick their own address.
   */
  clientAddressHeader?: string;
  /**
   * Production mode (not dev auth) serves `/metrics` on the client port only to `Authorization: Bearer <this>`;
   * undefined = not at all there (dev mode serves it openly).
   */
  metricsToken?: string;

  /** Largest frame accepted from a client, bytes. */
  maxFrameBytes: number;
  /** Longest user message, characters. */
  maxTextChars: number;
  /** Interval at which clients should ping; sockets silent for ~2 intervals are closed. */
  heartbeatMs: number;
  /** Time a new socket has to send `hello`. */
  helloTimeoutMs: number;
  /** Frames per second a connection may send (token bucket), and its burst. */
  frameRatePerSecond: number;
  frameRateBurst: number;
  /** Bad frames tolerated per connection per minute before it is closed as a protocol violator. */
  maxBadFramesPerMinute: number;
  /**
   * Connections one process holds before it refuses new ones (503 `at capacity`, retryable); default: its
   * open-file limit less a reserve (connection/capacity.ts), so it never runs out of file descriptors.
   */
  maxConnections?: number;
  /**
   * This process shares its port with other relay processes (`SO_REUSEPORT`, as `llc-relay --processes` runs
   * them): at capacity it stops listening, so that the kernel hands new connections to the others instead of to
   * a process that can only refuse them, and listens again once it holds 2 % fewer (connection/capacity.ts).
   * Alone on a port, leave it off: a full process then answers 503 `at capacity` rather than refusing the TCP
   * connection. Needs a given `port` (not 0). Default false.
   */
  sharedPort: boolean;

  /** Sending pauses (and deltas coalesce) while a socket buffers more than this. */
  sendHighWaterBytes: number;
  /** A socket whose queue passes this is closed with a resumable code. */
  sendHardLimitBytes: number;
  /** Send stream starts and first tokens ahead of continuing tokens. */
  prioritizeFirstTokens: boolean;

  /** Token batches held in memory per stream for resumes. */
  ringBatches: number;
  /** How long an ended stream stays resumable from memory, ms. */
  endedStreamRetentionMs: number;
  /**
   * How long a conversation stays subscribed after its last socket left, ms; past it, for as long as one of its
   * streams runs (so that its answer is stored).
   */
  conversationLingerMs: number;
  /**
   * A stream silent this long after its first token is ended with `stream-failed` (its bridge died), ms; 0 = never.
   */
  streamStallTimeoutMs: number;

  /** Most history messages sent to the model with a new message. */
  promptHistoryMessages: number;
  /** Character budget of the prompt (oldest history dropped first). */
  maxPromptChars: number;
  /** Optional system prompt prepended to every prompt. */
  systemPrompt?: string;
  /** Default and maximum `max_tokens` of a generation. */
  defaultMaxTokens: number;
  maxMaxTokens: number;
  /**
   * Per-user budget of model tokens (prompt + max_tokens reserved at send, unused part refunded at the end);
   * capacity 0 = unlimited.
   */
  tokenBudget?: TokenBucketPolicy;
  /** While the store cannot be reached: true lets messages through unmetered, false refuses them (retryable). */
  tokenBudgetFailOpen: boolean;
  /** Model used when the client names none (undefined = the bridge's default). */
  defaultModel?: string;
  /**
   * Each stored rating of an answer is POSTed here as JSON (a FeedbackRecord), for the app; undefined = none
   * (ratings are stored either way, see Store.listFeedback).
   */
  feedbackWebhookUrl?: string;

  /**
   * Secret that signs subscription grants (auth/subscription-grant.ts): a client re-subscribing with one skips the
   * Store's ownership read. Give every relay process of a deployment the same one, so a client moving between
   * them keeps that benefit; undefined = a random one per process (grants then work on the process that issued
   * them; elsewhere the relay reads the Store, as without grants). `llc-relay` defaults it to the HS256 token
   * secret when there is one, else to a random one shared by its `--processes`.
   */
  grantSecret?: string;
  /** How long a subscription grant is valid, ms; 0 = no grants (every subscribe reads ownership from the Store). */
  grantTtlMs: number;

  /** How long a closed connection's session (its conversations) stays restorable by `hello.session`, seconds. */
  sessionTtlSec: number;
  /** Send `auth-expiring` this long before a token expires, ms. */
  authRefreshLeadMs: number;
  /** Graceful drain: longest wait for running streams before closing sockets, ms. */
  drainTimeoutMs: number;
  /** Reconnect hints in `go-away` are spread uniformly over this window, ms. */
  goAwayJitterMs: number;
}

/** The defaults (also what `llc-relay --help` prints). */
export const DEFAULT_CONFIG: RelayConfig = {
  host: '127.0.0.1',
  port: 8787,
  wsPath: '/ws',
  uploadMaxBytes: DEFAULT_UPLOAD_STORE_OPTIONS.maxBytes,
  uploadMaxBytesPerUser: DEFAULT_UPLOAD_STORE_OPTIONS.maxBytesPerUser,
  uploadMediaTypes: [...DEFAULT_UPLOAD_STORE_OPTIONS.mediaTypes],
  maxAttachments: 8,
  maxFrameBytes: DEFAULT_CLIENT_LIMITS.maxFrameBytes,
  maxTextChars: DEFAULT_CLIENT_LIMITS.maxTextChars,
  heartbeatMs: 25_000,
  helloTimeoutMs: 10_000,
  frameRatePerSecond: 50,
  frameRateBurst: 200,
  maxBadFramesPerMinute: 30,
  sharedPort: false,
  sendHighWaterBytes: DEFAULT_SEND_QUEUE_OPTIONS.highWaterBytes,
  sendHardLimitBytes: DEFAULT_SEND_QUEUE_OPTIONS.hardLimitBytes,
  prioritizeFirstTokens: DEFAULT_SEND_QUEUE_OPTIONS.prioritizeFirstTokens,
  ringBatches: DEFAULT_HUB_OPTIONS.ringBatches,
  endedStreamRetentionMs: DEFAULT_HUB_OPTIONS.endedRetentionMs,
  conversationLingerMs: DEFAULT_HUB_OPTIONS.lingerMs,
  streamStallTimeoutMs: DEFAULT_HUB_OPTIONS.stallTimeoutMs,
  promptHistoryMessages: 50,
  maxPromptChars: 48_000,
  defaultMaxTokens: 1024,
  maxMaxTokens: 8192,
  tokenBudget: { capacity: 200_000, refillPerSecond: 1_000 },
  tokenBudgetFailOpen: true,
  grantTtlMs: 15 * 60_000,
  sessionTtlSec: 600,
  authRefreshLeadMs: 60_000,
  drainTimeoutMs: 30_000,
  goAwayJitterMs: 10_000,
  ...DEFAULT_ABUSE_LIMITS,
};

/**
 * A full config from a partial one (keys left out or `undefined` take their default); throws a RangeError when
 * settings contradict each other.
 */
export function resolveConfig(partial: Partial<RelayConfig> = {}): RelayConfig {
  const config: RelayConfig = withDefaults(DEFAULT_CONFIG, partial);
  if (config.sendHighWaterBytes >= config.sendHardLimitBytes) {
    throw new RangeError('sendHighWaterBytes must be below sendHardLimitBytes');
  }
  if (config.maxAttachments > ATTACHMENT_LIMITS.perMessage)
    throw new RangeError(`maxAttachments cannot exceed ${ATTACHMENT_LIMITS.perMessage}`);
  if (config.maxTextChars > config.maxFrameBytes) throw new RangeError('maxTextChars cannot exceed maxFrameBytes');
  if (config.sharedPort && config.port === 0)
    throw new RangeError('sharedPort needs a given port: processes sharing one cannot each take a free port (0)');
  if (config.maxConnections !== undefined && !(Number.isInteger(config.maxConnections) && config.maxConnections >= 1))
    throw new RangeError(`maxConnections must be a whole number ≥ 1, got ${config.maxConnections}`);
  if (!(Number.isInteger(config.grantTtlMs) && config.grantTtlMs >= 0))
    throw new RangeError(`grantTtlMs must be a whole number ≥ 0, got ${config.grantTtlMs}`);
  if (config.grantSecret !== undefined && config.grantSecret.length < 32)
    throw new RangeError('grantSecret must be at least 32 characters');
  return config;
}

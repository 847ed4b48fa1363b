/**
 * Every `llc-relay` setting: flag, environment variable, default and help, in one table.
 */
import { LOG_OPTIONS, NATS_OPTIONS, TRACING_OPTIONS, type OptionSpecs } from '@locallightchat/cli-kit';
import { DEFAULT_CONFIG, DEFAULT_REDIS_STORE_OPTIONS } from '@locallightchat/relay';
import { LIMIT_OPTIONS } from './limit-options.js';

/** Redis settings beyond the URL (a password rides in it: redis://:pw@host:6379; rediss:// turns TLS on). */
export const REDIS_OPTIONS = {
  'redis-tls-ca': {
    type: 'string',
    env: 'LLC_REDIS_TLS_CA',
    placeholder: 'file',
    help: "CA (PEM) of Redis's certificate; any --redis-tls-* (or a rediss:// URL) turns TLS on",
  },
  'redis-tls-cert': {
    type: 'string',
    env: 'LLC_REDIS_TLS_CERT',
    placeholder: 'file',
    help: 'Client certificate (PEM) for mutual TLS with Redis',
  },
  'redis-tls-key': {
    type: 'string',
    env: 'LLC_REDIS_TLS_KEY',
    placeholder: 'file',
    help: 'Private key (PEM) of --redis-tls-cert',
  },
  'redis-sentinels': {
    type: 'list',
    env: 'LLC_REDIS_SENTINELS',
    placeholder: 'host:port,…',
    help: "Redis Sentinel addresses: the store follows the master they name (the URL's host is then ignored)",
  },
  'redis-sentinel-name': {
    type: 'string',
    env: 'LLC_REDIS_SENTINEL_NAME',
    default: 'mymaster',
    help: 'Master name the sentinels monitor',
  },
  'redis-sentinel-password': {
    type: 'string',
    env: 'LLC_REDIS_SENTINEL_PASSWORD',
    secret: true,
    help: 'Password of the sentinels themselves (requirepass in sentinel.conf)',
  },
  'redis-conversation-ttl-sec': {
    type: 'number',
    env: 'LLC_REDIS_CONVERSATION_TTL_SEC',
    default: DEFAULT_REDIS_STORE_OPTIONS.conversationTtlSec,
    help: 'Idle conversations expire from Redis after this long',
  },
  'redis-max-messages': {
    type: 'number',
    env: 'LLC_REDIS_MAX_MESSAGES',
    default: DEFAULT_REDIS_STORE_OPTIONS.maxMessagesPerConversation,
    help: 'Messages kept per conversation (oldest dropped first)',
  },
} satisfies OptionSpecs;

export const RELAY_OPTIONS = {
  host: {
    type: 'string',
    env: 'LLC_HOST',
    default: DEFAULT_CONFIG.host,
    help: 'Interface to listen on (0.0.0.0 for all)',
  },
  port: {
    type: 'number',
    env: 'LLC_PORT',
    default: DEFAULT_CONFIG.port,
    help: 'Port; 0 picks a free one and prints it',
  },
  'tls-cert': {
    type: 'string',
    env: 'LLC_TLS_CERT',
    placeholder: 'file',
    help: 'Serve https/wss directly with this PEM certificate chain (with --tls-key); else plain HTTP behind a TLS proxy',
  },
  'tls-key': { type: 'string', env: 'LLC_TLS_KEY', placeholder: 'file', help: 'PEM private key of --tls-cert' },
  'tls-key-passphrase': {
    type: 'string',
    env: 'LLC_TLS_KEY_PASSPHRASE',
    secret: true,
    help: 'Passphrase of an encrypted --tls-key',
  },
  'ws-path': { type: 'string', env: 'LLC_WS_PATH', default: DEFAULT_CONFIG.wsPath, help: 'WebSocket endpoint path' },
  static: {
    type: 'string',
    env: 'LLC_STATIC_DIR',
    placeholder: 'dir',
    help: 'Serve this directory at / (a built chat page)',
  },
  'upload-dir': {
    type: 'string',
    env: 'LLC_UPLOAD_DIR',
    placeholder: 'dir',
    help: 'Run the upload endpoint (POST /uploads) with files kept here: demos and single hosts (limits: --upload-*)',
  },
  'upload-media-types': {
    type: 'list',
    env: 'LLC_UPLOAD_MEDIA_TYPES',
    placeholder: 'types',
    help: `With --upload-dir: media types accepted (type/* wildcards; default ${DEFAULT_CONFIG.uploadMediaTypes.join(',')})`,
  },
  'allowed-origins': {
    type: 'list',
    env: 'LLC_ALLOWED_ORIGINS',
    placeholder: 'origins',
    help: "Origins allowed to open WebSockets; required in production ('*' = any, deliberately); --dev allows any when unset",
  },

  processes: {
    type: 'string',
    env: 'LLC_PROCESSES',
    default: 'auto',
    placeholder: 'N|auto',
    help: 'Relay processes sharing the port (SO_REUSEPORT); auto = one per core with --broker nats://, else 1. N > 1 needs NATS and Redis',
  },
  'max-connections': {
    type: 'number',
    env: 'LLC_MAX_CONNECTIONS',
    help: 'Connections one relay process holds before it takes no more (503 at capacity; with --processes > 1 it stops listening so the others get them); default: its open-file limit less 768',
  },
  'metrics-port': {
    type: 'number',
    env: 'LLC_METRICS_PORT',
    help: "With --processes: serve the summed metrics of all processes on this port (each process's own /metrics stays on the main port)",
  },
  'metrics-token': {
    type: 'string',
    env: 'LLC_METRICS_TOKEN',
    placeholder: 'token',
    secret: true,
    help: 'Production mode: serve /metrics on the client port only with "Authorization: Bearer <token>" (without it, not at all there)',
  },
  'client-address-header': {
    type: 'string',
    env: 'LLC_CLIENT_ADDRESS_HEADER',
    placeholder: 'header',
    help: "Behind a reverse proxy that overwrites it: the header with the client's address for per-address limits (e.g. x-forwarded-for)",
  },
  dev: {
    type: 'boolean',
    env: 'LLC_DEV',
    default: false,
    help: 'Development mode: mints tokens at POST /auth/dev-token. Never in production',
  },
  'auth-jwt-secret': {
    type: 'string',
    env: 'LLC_AUTH_JWT_SECRET',
    placeholder: 'secret',
    secret: true,
    help: 'HS256 shared secret (32+ characters)',
  },
  'auth-public-key-file': {
    type: 'string',
    env: 'LLC_AUTH_PUBLIC_KEY_FILE',
    placeholder: 'file',
    help: 'PEM public key for RS256/ES256 tokens',
  },
  'auth-jwks-url': {
    type: 'string',
    env: 'LLC_AUTH_JWKS_URL',
    placeholder: 'URL',
    help: 'JWKS endpoint of your identity provider',
  },
  'grant-secret': {
    type: 'string',
    env: 'LLC_GRANT_SECRET',
    placeholder: 'secret',
    secret: true,
    help: 'Signs subscription grants (32+ characters; the same on every relay node): a client coming back re-subscribes without a Store read. Default: the --auth-jwt-secret, else random (shared by --processes)',
  },
  'auth-issuer': { type: 'string', env: 'LLC_AUTH_ISSUER', help: 'Required `iss` claim' },
  'auth-audience': { type: 'string', env: 'LLC_AUTH_AUDIENCE', help: 'Required `aud` claim' },
  'auth-algorithms': {
    type: 'list',
    env: 'LLC_AUTH_ALGORITHMS',
    help: 'Accepted JWT algorithms (default from the key type)',
  },

  broker: {
    type: 'string',
    env: 'LLC_BROKER',
    default: 'memory',
    placeholder: 'memory|nats://…',
    help: 'Message broker: in-process, or NATS server URL(s), comma-separated',
  },
  store: {
    type: 'string',
    env: 'LLC_STORE',
    default: 'memory',
    placeholder: 'memory|redis://…',
    help: 'State store: in-process, or a Redis URL',
  },
  bridge: {
    type: 'string',
    env: 'LLC_BRIDGE',
    default: 'auto',
    placeholder: 'auto|embedded|none',
    help: 'Run inference workers in this process (auto: when the broker is in-process)',
  },
  'backend-url': {
    type: 'list',
    env: 'LLC_BACKEND_URL',
    placeholder: 'URLs',
    help: 'OpenAI-compatible base URLs (vLLM: http://host:8000/v1) for the embedded bridge',
  },
  'backend-api-key': {
    type: 'string',
    env: 'LLC_BACKEND_API_KEY',
    secret: true,
    help: 'API key sent to the backends',
  },
  simulate: {
    type: 'boolean',
    env: 'LLC_SIMULATE',
    default: false,
    help: 'Start the vLLM simulator in-process as the backend (demos, tests)',
  },
  'sim-profile': {
    type: 'string',
    env: 'LLC_SIM_PROFILE',
    default: '8b-h100',
    help: 'Simulator latency profile (see llc-vllm-sim --help)',
  },
  model: { type: 'string', env: 'LLC_MODEL', help: 'Model used when the client names none' },
  'system-prompt': { type: 'string', env: 'LLC_SYSTEM_PROMPT', help: 'System prompt prepended to every conversation' },
  'feedback-webhook': {
    type: 'string',
    env: 'LLC_FEEDBACK_WEBHOOK',
    placeholder: 'URL',
    help: 'POST each stored rating of an answer here as JSON (thumbs up/down, optional comment)',
  },

  'max-frame-bytes': {
    type: 'number',
    env: 'LLC_MAX_FRAME_BYTES',
    default: DEFAULT_CONFIG.maxFrameBytes,
    help: 'Largest frame accepted from a client',
  },
  'max-text-chars': {
    type: 'number',
    env: 'LLC_MAX_TEXT_CHARS',
    default: DEFAULT_CONFIG.maxTextChars,
    help: 'Longest user message',
  },
  'heartbeat-ms': {
    type: 'number',
    env: 'LLC_HEARTBEAT_MS',
    default: DEFAULT_CONFIG.heartbeatMs,
    help: 'Client ping interval; silent sockets close after ~2 intervals',
  },
  'frame-rate': {
    type: 'number',
    env: 'LLC_FRAME_RATE',
    default: DEFAULT_CONFIG.frameRatePerSecond,
    help: 'Frames per second a connection may send',
  },
  'default-max-tokens': {
    type: 'number',
    env: 'LLC_DEFAULT_MAX_TOKENS',
    default: DEFAULT_CONFIG.defaultMaxTokens,
    help: 'max_tokens when the client sets none',
  },
  'max-max-tokens': {
    type: 'number',
    env: 'LLC_MAX_MAX_TOKENS',
    default: DEFAULT_CONFIG.maxMaxTokens,
    help: 'Upper bound of max_tokens',
  },
  'send-high-water': {
    type: 'number',
    env: 'LLC_SEND_HIGH_WATER',
    default: DEFAULT_CONFIG.sendHighWaterBytes,
    help: 'Per-socket buffer above which sending pauses and deltas coalesce (bytes)',
  },
  'send-hard-limit': {
    type: 'number',
    env: 'LLC_SEND_HARD_LIMIT',
    default: DEFAULT_CONFIG.sendHardLimitBytes,
    help: 'Per-socket queue bound; past it the socket closes with a resumable code (bytes)',
  },
  'token-budget': {
    type: 'number',
    env: 'LLC_TOKEN_BUDGET',
    default: DEFAULT_CONFIG.tokenBudget!.capacity,
    help: 'Per-user budget of model tokens (prompt + max_tokens reserved, unused refunded); 0 = unlimited',
  },
  'token-refill': {
    type: 'number',
    env: 'LLC_TOKEN_REFILL',
    default: DEFAULT_CONFIG.tokenBudget!.refillPerSecond,
    help: "Tokens per second added back to each user's budget",
  },
  'budget-fail-open': {
    type: 'boolean',
    env: 'LLC_BUDGET_FAIL_OPEN',
    default: DEFAULT_CONFIG.tokenBudgetFailOpen,
    help: 'While Redis is down, let messages through unmetered (--no-budget-fail-open refuses them)',
  },
  priority: {
    type: 'boolean',
    env: 'LLC_PRIORITY',
    default: true,
    help: 'Send first tokens ahead of continuing ones (--no-priority for A/B tests)',
  },
  'grant-ttl-ms': {
    type: 'number',
    env: 'LLC_GRANT_TTL_MS',
    default: DEFAULT_CONFIG.grantTtlMs,
    help: 'How long a subscription grant is valid, ms (0 = no grants: every subscribe reads ownership from the Store)',
  },
  'session-ttl': {
    type: 'number',
    env: 'LLC_SESSION_TTL',
    default: DEFAULT_CONFIG.sessionTtlSec,
    help: "Seconds a closed connection's conversations stay restorable by a reconnect (hello.session)",
  },
  'drain-timeout-ms': {
    type: 'number',
    env: 'LLC_DRAIN_TIMEOUT_MS',
    default: DEFAULT_CONFIG.drainTimeoutMs,
    help: 'Graceful drain: longest wait for clients to move',
  },
  'stream-stall-timeout-ms': {
    type: 'number',
    env: 'LLC_STREAM_STALL_TIMEOUT_MS',
    default: DEFAULT_CONFIG.streamStallTimeoutMs,
    help: 'End a stream silent this long after its first token with stream-failed (its bridge died); 0 = never',
  },
  ...LIMIT_OPTIONS,
  ...NATS_OPTIONS,
  ...REDIS_OPTIONS,
  ...LOG_OPTIONS,
  ...TRACING_OPTIONS,
} satisfies OptionSpecs;

/**
 * Every `llc-bridge` setting: flag, environment variable, default and help, in one table.
 */
import { LOG_OPTIONS, NATS_OPTIONS, TRACING_OPTIONS, type OptionSpecs } from '@locallightchat/cli-kit';
import { ROUTER_KINDS } from '../routing/router-factory.js';

export const BRIDGE_OPTIONS = {
  broker: {
    type: 'string',
    env: 'LLC_BROKER',
    placeholder: 'nats://…',
    help: 'NATS server URL(s), comma-separated (required)',
  },
  'backend-url': {
    type: 'list',
    env: 'LLC_BACKEND_URL',
    placeholder: 'URLs',
    help: 'OpenAI-compatible base URLs, e.g. http://gpu:8000/v1 (required)',
  },
  'backend-api-key': {
    type: 'string',
    env: 'LLC_BACKEND_API_KEY',
    secret: true,
    help: 'API key sent to the backends',
  },
  model: { type: 'string', env: 'LLC_MODEL', help: 'Model name reported when a request names none' },
  'max-in-flight': {
    type: 'number',
    env: 'LLC_BRIDGE_MAX_IN_FLIGHT',
    default: 256,
    help: 'Requests this process generates at once',
  },
  'batch-window-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_BATCH_WINDOW_MS',
    default: 15,
    help: 'Later tokens are published at most this often per stream',
  },
  'batch-max-chars': {
    type: 'number',
    env: 'LLC_BRIDGE_BATCH_MAX_CHARS',
    default: 4096,
    help: '…or as soon as this many characters are held',
  },
  'ttft-timeout-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_TTFT_TIMEOUT_MS',
    default: 30_000,
    help: 'No first token within this long → fail over (0 = no timeout)',
  },
  'target-in-flight': {
    type: 'number',
    env: 'LLC_BRIDGE_TARGET_IN_FLIGHT',
    default: 0,
    help: 'Requests per replica before requests queue in the bridge (0 = no admission control)',
  },
  'max-queue-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_MAX_QUEUE_MS',
    default: 30_000,
    help: 'Longest wait in the queue before the fallback (or an "overloaded" error)',
  },
  'metrics-scrape-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_METRICS_SCRAPE_MS',
    default: 250,
    help: "Interval for scraping each replica's /metrics (vLLM load)",
  },
  'metrics-stale-after': {
    type: 'number',
    env: 'LLC_BRIDGE_METRICS_STALE_AFTER',
    default: 4,
    help: 'Scrape intervals after which a reading is stale (then only own in-flight counts)',
  },
  scrape: {
    type: 'boolean',
    env: 'LLC_BRIDGE_SCRAPE',
    default: true,
    help: "Scrape each replica's /metrics for load (--no-scrape: own in-flight counts only)",
  },
  router: {
    type: 'string',
    env: 'LLC_BRIDGE_ROUTER',
    default: 'load',
    placeholder: ROUTER_KINDS.join('|'),
    help: 'How replicas are picked (see BRIDGE.md): prefix-* route to the replica holding the prompt prefix',
  },
  'kv-events-endpoints': {
    type: 'list',
    env: 'LLC_BRIDGE_KV_EVENTS_ENDPOINTS',
    placeholder: 'tcp://…',
    help: "prefix-precise: each replica's KV event PUB endpoint, in --backend-url order ('-' for none)",
  },
  'kv-events-replay-endpoints': {
    type: 'list',
    env: 'LLC_BRIDGE_KV_EVENTS_REPLAY_ENDPOINTS',
    placeholder: 'tcp://…',
    help: "prefix-precise: each replica's KV event replay endpoint, same order ('-' for none)",
  },
  'tokenizer-module': {
    type: 'string',
    env: 'LLC_BRIDGE_TOKENIZER_MODULE',
    placeholder: 'module',
    help: "prefix-precise: ES module whose default export makes the engine's tokenizer ({blockSize}) => PromptTokenizer, e.g. @locallightchat/vllm-sim/tokenizer",
  },
  'block-size': {
    type: 'number',
    env: 'LLC_BRIDGE_BLOCK_SIZE',
    default: 16,
    help: "prefix-precise: the engine's KV block size (vLLM --block-size)",
  },
  'hash-seed': {
    type: 'string',
    env: 'LLC_BRIDGE_HASH_SEED',
    default: '0',
    help: "prefix-precise: the engine's block hash seed",
  },
  'prefix-ttl-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_PREFIX_TTL_MS',
    default: 300_000,
    help: 'prefix-approx: how long a dispatch is remembered',
  },
  'cooldown-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_COOLDOWN_MS',
    default: 5000,
    help: 'First cooldown of a failing backend (doubles per trip; Retry-After honoured)',
  },
  'max-cooldown-ms': { type: 'number', env: 'LLC_BRIDGE_MAX_COOLDOWN_MS', default: 60_000, help: 'Longest cooldown' },
  'fallback-url': {
    type: 'string',
    env: 'LLC_FALLBACK_URL',
    placeholder: 'URL',
    help: 'OpenAI-compatible cloud fallback, used when no replica can serve, e.g. https://api.openai.com/v1',
  },
  'fallback-api-key': { type: 'string', env: 'LLC_FALLBACK_API_KEY', secret: true, help: 'API key for the fallback' },
  'fallback-model': {
    type: 'string',
    env: 'LLC_FALLBACK_MODEL',
    help: 'Model requested from the fallback (required with --fallback-url)',
  },
  'metrics-port': {
    type: 'number',
    env: 'LLC_BRIDGE_METRICS_PORT',
    help: 'HTTP port for /metrics (Prometheus), /healthz and /readyz (0 = a free port)',
  },
  'metrics-host': {
    type: 'string',
    env: 'LLC_BRIDGE_METRICS_HOST',
    default: '0.0.0.0',
    help: 'Address for the metrics endpoint',
  },
  'drain-timeout-ms': {
    type: 'number',
    env: 'LLC_BRIDGE_DRAIN_TIMEOUT_MS',
    default: 20_000,
    help: "On SIGTERM: longest wait for running streams to finish before they are cut (below Kubernetes' 30 s grace, minus a 5 s preStop)",
  },
  ...NATS_OPTIONS,
  ...LOG_OPTIONS,
  ...TRACING_OPTIONS,
} satisfies OptionSpecs;

#!/usr/bin/env node
/**
 * `llc-bridge`: inference workers as their own process. They take generation requests from the broker's work
 * queue (any number of bridges share it) and stream answers from OpenAI-compatible servers (vLLM).
 *
 *   llc-bridge --broker nats://nats:4222 --backend-url http://gpu-1:8000/v1,http://gpu-2:8000/v1 --metrics-port 9464
 *
 * Routing is load-aware (each replica's /metrics scraped, plus own in-flight counts), with per-backend circuit
 * breakers, optional admission control (--target-in-flight) and an optional cloud fallback; see BRIDGE.md.
 */
import { NatsBroker } from '@locallightchat/broker';
import { collectDefaultMetrics, Gauge } from 'prom-client';
import { OpenAIBackend } from '../backends/index.js';
import { LoadAwareRouter } from '../routing/load-aware-router.js';
import { PrefixPolicy } from '../routing/prefix-policy.js';
import type { PromptTokenizer } from '../routing/prompt-blocks.js';
import type { KvEventSubscriber } from '../routing/kv-event-subscriber.js';
import {
  ROUTER_KINDS,
  createRoutingPolicy,
  isRouterKind,
  subscribeKvEvents,
  type RouterKind,
} from '../routing/router-factory.js';
import { Bridge } from '../worker/bridge.js';
import { BridgeMetrics } from '../worker/bridge-metrics.js';
import { BRIDGE_OPTIONS } from './bridge-options.js';
import { serveMetrics, type Readiness } from './metrics-server.js';
import {
  CliUsageError,
  createLogger,
  formatConfig,
  loggerOptions,
  formatHelp,
  natsSettings,
  parseOptions,
  runCli,
  cliTracing,
  type ParsedOptions,
  type StructuredLogger,
} from '@locallightchat/cli-kit';

type Options = ParsedOptions<typeof BRIDGE_OPTIONS>;

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Checks the settings that parsing alone cannot (ranges, pairs of flags): usage errors, before anything starts. */
function validate(o: Options): void {
  if (!o.broker?.startsWith('nats://'))
    throw new CliUsageError('--broker nats://host:port is required (in-process brokers run inside llc-relay)');
  if ((o['backend-url'] ?? []).length === 0) throw new CliUsageError('--backend-url is required');
  for (const url of o['backend-url'] ?? []) {
    if (!/^https?:\/\//.test(url)) throw new CliUsageError(`--backend-url expects http(s) URLs, got "${url}"`);
  }
  if (o['fallback-url'] && !o['fallback-model'])
    throw new CliUsageError('--fallback-model is required with --fallback-url');
  if (!Number.isInteger(o['max-in-flight']) || o['max-in-flight'] < 1)
    throw new CliUsageError('--max-in-flight must be a positive integer');
  for (const key of ['target-in-flight', 'max-queue-ms', 'cooldown-ms', 'max-cooldown-ms'] as const) {
    if (!(o[key] >= 0)) throw new CliUsageError(`--${key} must be ≥ 0`);
  }
  if (!(o['metrics-scrape-ms'] > 0) || !(o['metrics-stale-after'] > 0))
    throw new CliUsageError('--metrics-scrape-ms and --metrics-stale-after must be > 0');
  if (!(o['drain-timeout-ms'] >= 0)) throw new CliUsageError('--drain-timeout-ms must be ≥ 0');
  if (o['max-cooldown-ms'] < o['cooldown-ms']) throw new CliUsageError('--max-cooldown-ms must be ≥ --cooldown-ms');
  if (!isRouterKind(o.router))
    throw new CliUsageError(`--router must be one of ${ROUTER_KINDS.join(', ')}, got "${o.router}"`);
  if (o.router === 'prefix-precise' && (o['kv-events-endpoints'] ?? []).length !== (o['backend-url'] ?? []).length)
    throw new CliUsageError('--router prefix-precise needs one --kv-events-endpoints entry per --backend-url');
}

/**
 * The replicas and the optional cloud fallback, behind a load-aware router (started: it scrapes) with the
 * `--router` policy; for prefix-precise, the KV event subscription that feeds it.
 */
async function routerFrom(
  o: Options,
  log: StructuredLogger,
): Promise<{
  router: LoadAwareRouter;
  urls: string[];
  fallback?: OpenAIBackend;
  kvEvents?: KvEventSubscriber;
}> {
  const urls = o['backend-url'] ?? [];
  const ttft = o['ttft-timeout-ms'];
  const timeout = ttft > 0 ? { ttftTimeoutMs: ttft } : {};
  const backends = urls.map(
    (baseURL) =>
      new OpenAIBackend({ baseURL, ...(o['backend-api-key'] ? { apiKey: o['backend-api-key'] } : {}), ...timeout }),
  );
  const fallbackUrl = o['fallback-url'];
  const fallback = fallbackUrl
    ? new OpenAIBackend({
        baseURL: fallbackUrl,
        name: `fallback:${new URL(fallbackUrl).host}`,
        model: o['fallback-model'],
        ...(o['fallback-api-key'] ? { apiKey: o['fallback-api-key'] } : {}),
        ...timeout,
      })
    : undefined;
  const kind = o.router as RouterKind;
  const tokenizer = kind === 'prefix-precise' ? await loadTokenizer(o['tokenizer-module'], o['block-size']) : undefined;
  let policy;
  try {
    policy = createRoutingPolicy({
      kind,
      replicas: backends.length,
      hashSeed: o['hash-seed'],
      ttlMs: o['prefix-ttl-ms'],
      ...(tokenizer ? { tokenizer } : {}),
    });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const replays = o['kv-events-replay-endpoints'] ?? [];
  const kvEvents =
    policy instanceof PrefixPolicy && kind === 'prefix-precise'
      ? subscribeKvEvents(
          policy,
          (o['kv-events-endpoints'] ?? []).map((endpoint, i) => {
            if (endpoint === '-') return undefined;
            const replay = replays[i];
            return { endpoint, ...(replay && replay !== '-' ? { replayEndpoint: replay } : {}) };
          }),
        )
      : undefined;
  const router = new LoadAwareRouter({
    // vLLM serves /metrics at the server root, next to /v1.
    backends: backends.map((backend, i) => ({
      backend,
      ...(!o.scrape ? {} : { metricsUrl: new URL('/metrics', urls[i]).toString() }),
    })),
    ...(fallback ? { fallback } : {}),
    ...(o['target-in-flight'] > 0 ? { targetInFlight: o['target-in-flight'] } : {}),
    scrapeIntervalMs: o['metrics-scrape-ms'],
    staleAfterIntervals: o['metrics-stale-after'],
    breaker: { baseCooldownMs: o['cooldown-ms'], maxCooldownMs: o['max-cooldown-ms'] },
    ...(policy ? { policy } : {}),
    onBreakerOpen: (b, ms, e) => log.warn(`${b.name} cools down for ${ms} ms`, e, { backend: b.name, cooldownMs: ms }),
  }).start();
  return { router, urls, ...(fallback ? { fallback } : {}), ...(kvEvents ? { kvEvents } : {}) };
}

async function main(): Promise<void> {
  const o = parseOptions(BRIDGE_OPTIONS, process.argv.slice(2));
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'llc-bridge',
        'LocalLightChat inference bridge: broker work queue → vLLM → conversation events.',
        BRIDGE_OPTIONS,
      ),
    );
    return;
  }
  if (o.printConfig) {
    process.stdout.write(formatConfig(BRIDGE_OPTIONS, o));
    return;
  }
  validate(o);
  const nats = natsSettings(o);
  if (typeof nats === 'string') throw new CliUsageError(nats);
  const logging = loggerOptions(o);
  if (typeof logging === 'string') throw new CliUsageError(logging);
  const log = createLogger('llc-bridge', logging);
  const tracing = cliTracing('llc-bridge', o);
  if (tracing) log.info(`tracing: OTLP spans to ${tracing.endpoint} as ${tracing.serviceName}`);
  const { router, urls, fallback, kvEvents } = await routerFrom(o, log);
  const metrics = new BridgeMetrics();
  collectDefaultMetrics({ register: metrics.registry, prefix: 'llc_bridge_' });
  // Breaker state per backend for dashboards and alerts: 0 closed, 1 half-open (probing), 2 open (cooling down).
  new Gauge({
    name: 'llc_bridge_breaker_state',
    help: 'Circuit breaker of each backend: 0 closed, 1 half-open, 2 open',
    labelNames: ['backend'],
    registers: [metrics.registry],
    collect() {
      for (const b of router.status()) this.set({ backend: b.name }, BREAKER_VALUE[b.breaker]);
    },
  });
  // Read by /readyz, which answers (not ready) before the broker is connected.
  const state: { draining: boolean; broker?: NatsBroker } = { draining: false };
  const metricsServer =
    o['metrics-port'] !== undefined
      ? await serveMetrics(metrics.registry, o['metrics-port'], o['metrics-host'], () =>
          readiness(state.broker, router, o.scrape, state.draining),
        )
      : undefined;
  const broker = await NatsBroker.connect({
    servers: (o.broker ?? '').split(','),
    name: `llc-bridge-${process.pid}`,
    ...nats,
    log: (message, error, fields) => log.warn(message, error, { part: 'broker', ...fields }),
  });
  state.broker = broker;
  const bridge = new Bridge({
    broker,
    router,
    metrics,
    admission: { maxWaitMs: o['max-queue-ms'] },
    maxInFlight: o['max-in-flight'],
    batchWindowMs: o['batch-window-ms'],
    batchMaxChars: o['batch-max-chars'],
    ...(o.model ? { defaultModel: o.model } : {}),
    log: (message, error, fields) => log.warn(message, error, fields),
    ...(tracing ? { tracer: tracing.tracer('@locallightchat/inference-bridge') } : {}),
  });
  bridge.start();
  stopOnSignals(log, async () => {
    state.draining = true;
    await bridge.stop(true, o['drain-timeout-ms']);
    await broker.close();
    router.close();
    kvEvents?.close();
    await metricsServer?.close();
    await tracing?.shutdown().catch((error: unknown) => log.warn('could not send the last spans', error));
  });
  // The ready line after the signal handlers: a SIGTERM sent as soon as it is read must drain.
  console.log(
    `llc-bridge ready: broker ${o.broker}; backends ${urls.join(', ')}; router ${o.router}${fallback ? `; fallback ${fallback.name}` : ''}; up to ${o['max-in-flight']} streams` +
      (metricsServer ? `; metrics on :${metricsServer.port}/metrics` : ''),
  );
}

/**
 * Ready when connected to the broker, not draining, and at least one backend (or the fallback) is usable: its
 * breaker is not open and, when replicas are scraped, its load reading is fresh (a replica that stopped
 * answering /metrics is likely down).
 */
function readiness(
  broker: NatsBroker | undefined,
  router: LoadAwareRouter,
  scraped: boolean,
  draining: boolean,
): Readiness {
  const backends = router.status().map((b) => ({
    name: b.name,
    breaker: b.breaker,
    usable: b.breaker !== 'open' && (!scraped || b.fallback || !b.stale),
  }));
  const brokerStatus = broker?.status ?? 'connecting';
  const ready = brokerStatus === 'connected' && !draining && backends.some((b) => b.usable);
  return { ready, broker: brokerStatus, draining, backends };
}

/** SIGTERM/SIGINT: finish running streams and exit 0 (1 if that fails); a second signal exits at once. */
function stopOnSignals(log: StructuredLogger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info(`${signal}: finishing running streams, taking no new ones`);
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * The engine's tokenizer for precise routing: a module whose default export is `({ blockSize }) =>
 * PromptTokenizer` (a plug-in, so the bridge depends on no tokenizer).
 */
async function loadTokenizer(specifier: string | undefined, blockSize: number): Promise<PromptTokenizer> {
  if (!specifier) throw new CliUsageError("--router prefix-precise needs --tokenizer-module (the engine's tokenizer)");
  let mod: { default?: unknown };
  try {
    mod = (await import(specifier)) as { default?: unknown };
  } catch (error) {
    throw new CliUsageError(
      `--tokenizer-module ${specifier} does not load: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof mod.default !== 'function')
    throw new CliUsageError(`--tokenizer-module ${specifier} has no default export function`);
  const tokenizer = (mod.default as (o: { blockSize: number }) => PromptTokenizer)({ blockSize });
  if (typeof tokenizer?.message !== 'function' || tokenizer.blockSize !== blockSize)
    throw new CliUsageError(
      `--tokenizer-module ${specifier} did not return a PromptTokenizer with block size ${blockSize}`,
    );
  return tokenizer;
}

runCli('llc-bridge', main);

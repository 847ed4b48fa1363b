#!/usr/bin/env node
/**
 * `llc-relay`: the relay, configured by flags or LLC_* environment variables (`llc-relay --help`).
 *
 *   llc-relay --dev --simulate                         everything in one process, a simulated model
 *   llc-relay --dev --backend-url http://gpu:8000/v1   one process in front of your vLLM
 *   llc-relay --broker nats://nats:4222 --store redis://redis:6379 --auth-jwks-url https://…   (production)
 *
 * The `llc-relay` command is bin/llc-relay.js, which runs this with V8's young generation capped at 1 MB per
 * semi-space: with the default (up to 16 MB, grown under the garbage of a connection burst and never given back)
 * an idle socket costs ~3.3 KB of RSS instead of ~1.3 KB (bench/idle).
 */
import { MemoryBroker, NatsBroker, type Broker } from '@locallightchat/broker';
import {
  CliUsageError,
  createLogger,
  formatConfig,
  loggerOptions,
  formatHelp,
  freePort,
  natsSettings,
  parseOptions,
  runCli,
  cliTracing,
  type ParsedOptions,
  type StructuredLogger,
} from '@locallightchat/cli-kit';
import {
  assertNativeUws,
  AuthConfigError,
  Authenticator,
  MemoryStore,
  RedisStore,
  startRelay,
  type AuthConfig,
  type RelayConfig,
  type Store,
} from '@locallightchat/relay';
import { Registry } from 'prom-client';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import cluster from 'node:cluster';
import { limitSettings } from './limit-options.js';
import { RELAY_OPTIONS } from './relay-options.js';
import { redisStoreOptions } from './store-options.js';
import { isSupervisedChild, shareMetricsWithSupervisor, superviseRelays } from './supervisor.js';

type Options = ParsedOptions<typeof RELAY_OPTIONS>;

const HELP_FOOTER = `Modes:
  Embedded (default broker/store "memory"): relay, broker, store and bridge workers in one process.
  Distributed: --broker nats://… (and --store redis://…) — run bridges separately with llc-bridge.
Production mode (no --dev) refuses to start without --auth-jwt-secret, --auth-public-key-file or --auth-jwks-url.`;

async function authConfig(o: Options): Promise<AuthConfig> {
  const base: AuthConfig = { mode: o.dev ? 'dev' : 'jwt' };
  if (o['auth-jwt-secret']) base.secret = o['auth-jwt-secret'];
  if (o['auth-public-key-file']) base.publicKey = await readFile(o['auth-public-key-file'], 'utf8');
  if (o['auth-jwks-url']) base.jwksUrl = o['auth-jwks-url'];
  if (o['auth-issuer']) base.issuer = o['auth-issuer'];
  if (o['auth-audience']) base.audience = o['auth-audience'];
  if (o['auth-algorithms']?.length) base.algorithms = o['auth-algorithms'];
  return base;
}

function relayConfig(o: Options): Partial<RelayConfig> {
  const webhook = o['feedback-webhook'];
  if (webhook !== undefined && !/^https?:\/\/[^/]/.test(webhook))
    throw new CliUsageError(`--feedback-webhook must be an http(s) URL, got "${webhook}"`);
  return {
    host: o.host,
    // Children of --processes all bind the port the supervisor chose (SO_REUSEPORT), even for --port 0.
    port: process.env.LLC_SUPERVISED_PORT ? Number(process.env.LLC_SUPERVISED_PORT) : o.port,
    wsPath: o['ws-path'],
    ...(o['tls-cert'] && o['tls-key']
      ? {
          tls: {
            certFile: o['tls-cert'],
            keyFile: o['tls-key'],
            ...(o['tls-key-passphrase'] ? { passphrase: o['tls-key-passphrase'] } : {}),
          },
        }
      : {}),
    staticDir: o.static,
    uploadDir: o['upload-dir'],
    uploadMediaTypes: o['upload-media-types']?.length ? o['upload-media-types'] : undefined,
    // '*' is the deliberate "any origin" (production refuses an unset list, see main).
    allowedOrigins:
      o['allowed-origins']?.length && !o['allowed-origins'].includes('*') ? o['allowed-origins'] : undefined,
    maxFrameBytes: o['max-frame-bytes'],
    maxConnections: o['max-connections'],
    // A child of --processes shares the port with its siblings: full, it leaves new connections to them.
    sharedPort: process.env.LLC_SUPERVISED_PORT !== undefined,
    maxTextChars: o['max-text-chars'],
    heartbeatMs: o['heartbeat-ms'],
    frameRatePerSecond: o['frame-rate'],
    defaultMaxTokens: o['default-max-tokens'],
    maxMaxTokens: o['max-max-tokens'],
    sendHighWaterBytes: o['send-high-water'],
    sendHardLimitBytes: o['send-hard-limit'],
    prioritizeFirstTokens: o.priority,
    tokenBudget: { capacity: o['token-budget'], refillPerSecond: o['token-refill'] },
    tokenBudgetFailOpen: o['budget-fail-open'],
    drainTimeoutMs: o['drain-timeout-ms'],
    streamStallTimeoutMs: o['stream-stall-timeout-ms'],
    sessionTtlSec: o['session-ttl'],
    defaultModel: o.model,
    systemPrompt: o['system-prompt'],
    feedbackWebhookUrl: o['feedback-webhook'],
    metricsToken: o['metrics-token'],
    // The HS256 secret is shared by every node already; the grant key is derived from it with a label.
    grantSecret: o['grant-secret'] ?? o['auth-jwt-secret'],
    grantTtlMs: o['grant-ttl-ms'],
    clientAddressHeader: o['client-address-header'],
    ...limitSettings(o).relay,
  };
}

async function openBroker(o: Options, log: StructuredLogger): Promise<Broker> {
  if (o.broker === 'memory') return new MemoryBroker();
  if (!o.broker.startsWith('nats://'))
    throw new CliUsageError(`--broker must be "memory" or nats://host:port, got "${o.broker}"`);
  const nats = natsSettings(o);
  if (typeof nats === 'string') throw new CliUsageError(nats);
  return NatsBroker.connect({
    servers: o.broker.split(','),
    name: `llc-relay-${process.pid}`,
    ...nats,
    log: (message, error, fields) => log.warn(message, error, { part: 'broker', ...fields }),
  });
}

async function openStore(o: Options): Promise<Store> {
  const { quotas } = limitSettings(o);
  if (o.store === 'memory') return new MemoryStore(quotas);
  if (!/^rediss?:\/\//.test(o.store))
    throw new CliUsageError(`--store must be "memory" or redis://host:port, got "${o.store}"`);
  return RedisStore.connect({ ...redisStoreOptions(o.store, o), ...quotas });
}

async function main(): Promise<void> {
  const o = parseOptions(RELAY_OPTIONS, process.argv.slice(2));
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'llc-relay',
        'The LocalLightChat relay: WebSocket edge between browsers and inference bridges.',
        RELAY_OPTIONS,
        HELP_FOOTER,
      ),
    );
    return;
  }
  if (o.printConfig) {
    process.stdout.write(formatConfig(RELAY_OPTIONS, o));
    return;
  }
  assertNativeUws();
  // Bad limits are usage errors before anything opens (and in the supervisor, before any child starts).
  limitSettings(o);
  const logging = loggerOptions(o);
  if (typeof logging === 'string') throw new CliUsageError(logging);
  const log = createLogger(isSupervisedChild() ? `llc-relay#${process.env.LLC_PROCESS_SLOT}` : 'llc-relay', logging);
  // Answer the supervisor's metric requests (empty) while starting, so its summed page never waits on us.
  if (isSupervisedChild()) shareMetricsWithSupervisor(new Registry());
  const auth = await authConfig(o);
  // Fail before opening anything if production auth is missing.
  await Authenticator.create(auth).catch((error: unknown) => {
    if (error instanceof AuthConfigError) throw new CliUsageError(error.message);
    throw error;
  });
  if (Boolean(o['tls-cert']) !== Boolean(o['tls-key'])) throw new CliUsageError('--tls-cert and --tls-key go together');
  const maxConnections = o['max-connections'];
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections >= 1))
    throw new CliUsageError(`--max-connections must be a whole number ≥ 1, got ${maxConnections}`);
  const grantTtl = o['grant-ttl-ms'];
  if (!(Number.isInteger(grantTtl) && grantTtl >= 0))
    throw new CliUsageError(`--grant-ttl-ms must be a whole number ≥ 0, got ${grantTtl}`);
  if (o['grant-secret'] !== undefined && o['grant-secret'].length < 32)
    throw new CliUsageError('--grant-secret must be at least 32 characters');
  // Production refuses an unset origin list rather than warning: a warning scrolls by unseen, and any web page
  // could then open sockets to the relay; '*' keeps "any origin" available as an explicit, visible choice.
  if (!o.dev && !o['allowed-origins']?.length)
    throw new CliUsageError(
      "production mode needs --allowed-origins: the origins of your chat pages (https://chat.example.com), or '*' to accept any origin deliberately",
    );
  const processes = processCount(o);
  if (processes > 1 && cluster.isPrimary) {
    if (!o.broker.startsWith('nats://'))
      throw new CliUsageError(
        '--processes > 1 needs --broker nats://…: an in-process broker cannot join the processes into one relay',
      );
    if (o.store === 'memory')
      throw new CliUsageError(
        '--processes > 1 needs --store redis://…: each process would otherwise keep its own history and budgets',
      );
    const port = o.port === 0 ? await freePort(o.host) : o.port;
    await superviseRelays({
      processes,
      metricsPort: o['metrics-port'],
      metricsHost: o.host,
      log,
      env: {
        LLC_SUPERVISED_PORT: String(port),
        // One grant secret for all the processes, so a client moving between them keeps re-subscribing by grant.
        ...(o['grant-secret'] || o['auth-jwt-secret']
          ? {}
          : { LLC_GRANT_SECRET: randomBytes(32).toString('base64url') }),
      },
    });
    return;
  }
  const tracing = cliTracing('llc-relay', o);
  if (tracing) log.info(`tracing: OTLP spans to ${tracing.endpoint} as ${tracing.serviceName}`);
  const broker = await openBroker(o, log);
  const store = await openStore(o);
  const embedded = o.bridge === 'embedded' || (o.bridge === 'auto' && o.broker === 'memory');
  if (!['auto', 'embedded', 'none'].includes(o.bridge))
    throw new CliUsageError('--bridge must be auto, embedded or none');

  let stop: () => Promise<void>;
  let metricsRegistry: Registry;
  let url: string;
  let wsUrl: string;
  if (embedded) {
    // Loaded only in this mode, so a relay in front of NATS never loads the bridge or the simulator.
    const [{ startEmbeddedBackends }, { startEmbeddedStack }] = await Promise.all([
      import('./backends.js'),
      import('../embedded.js'),
    ]);
    const backends = await startEmbeddedBackends({
      urls: o['backend-url'] ?? [],
      apiKey: o['backend-api-key'],
      simulate: o.simulate,
      simProfile: o['sim-profile'],
      model: o.model,
    });
    const stack = await startEmbeddedStack({
      relay: relayConfig(o),
      auth,
      backends: backends.backends,
      broker,
      store,
      log,
      bridge: { defaultModel: o.model ?? backends.model },
      ...(tracing ? { tracing } : {}),
    });
    url = stack.relay.url;
    wsUrl = stack.relay.wsUrl;
    metricsRegistry = stack.relay.metrics.registry;
    stop = async () => {
      await stack.stop();
      await backends.close();
      await tracing?.shutdown().catch((error: unknown) => log.warn('could not send the last spans', error));
    };
    log.info(`embedded bridge: ${backends.description}`);
  } else {
    const relay = await startRelay(relayConfig(o), {
      broker,
      store,
      auth: await Authenticator.create(auth),
      log,
      ...(tracing ? { tracer: tracing.tracer('@locallightchat/relay') } : {}),
    });
    url = relay.url;
    wsUrl = relay.wsUrl;
    metricsRegistry = relay.metrics.registry;
    stop = async () => {
      await relay.drain();
      await broker.close();
      await store.close();
      await tracing?.shutdown().catch((error: unknown) => log.warn('could not send the last spans', error));
    };
  }
  if (isSupervisedChild()) shareMetricsWithSupervisor(metricsRegistry);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      // Supervised children may get a signal twice (from the supervisor and from a process-group kill).
      if (isSupervisedChild()) return;
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining (clients reconnect elsewhere and resume)`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('drain failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // A terminal's Ctrl-C reaches the whole process group; supervised children wait for the supervisor's SIGTERM.
  process.on('SIGINT', () => (isSupervisedChild() ? undefined : onSignal('SIGINT')));
  // The ready line last: whoever reads it may send SIGTERM at once, and must get a drain, not the default exit
  // (before this order, a SIGTERM right after the line killed the relay undrained about 1 time in 2).
  console.log(
    `llc-relay listening on ${url} (WebSocket ${wsUrl}; broker ${o.broker}; store ${o.store}${o.dev ? '; DEV MODE' : ''})`,
  );
}

/** `--processes`: a number, or auto (one per core when a NATS broker can join them, else one). */
function processCount(o: Options): number {
  if (o.processes === 'auto')
    return o.broker.startsWith('nats://') && o.store !== 'memory' ? availableParallelism() : 1;
  const n = Number(o.processes);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new CliUsageError(`--processes must be a whole number from 1 to 256, or auto; got "${o.processes}"`);
  return n;
}

runCli('llc-relay', main);

/**
 * The embedded default: relay, in-memory broker and store, and bridge workers in one process. This is what
 * `npm start` and `llc-relay --dev` run; the same code paths (Broker, Store, InferenceBackend ports) scale out
 * to NATS, Redis and separate bridge processes without changes to the relay or the bridge.
 */
import { MemoryBroker, type Broker } from '@locallightchat/broker';
import { startTracing, type Tracing, type TracingOptions } from '@locallightchat/cli-kit';
import {
  Bridge,
  RoundRobinRouter,
  type BridgeOptions,
  type InferenceBackend,
  type Router,
} from '@locallightchat/inference-bridge';
import {
  Authenticator,
  consoleLogger,
  MemoryStore,
  RelayMetrics,
  startRelay,
  type AuthConfig,
  type Logger,
  type Relay,
  type RelayConfig,
  type Store,
  type RelayDeps,
} from '@locallightchat/relay';

export interface EmbeddedStackOptions {
  relay?: Partial<RelayConfig>;
  auth: AuthConfig;
  /** Inference backends for the in-process bridge (e.g. OpenAIBackend instances pointing at vLLM). */
  backends: InferenceBackend[];
  /** Overrides the round-robin router (e.g. a load-aware one). */
  router?: Router;
  bridge?: Omit<Partial<BridgeOptions>, 'broker' | 'router'>;
  /** Swap in real adapters (NATS, Redis) while keeping the bridge in-process. */
  broker?: Broker;
  store?: Store;
  log?: Logger;
  /** The relay's check of attachments stored outside its own upload endpoint (see RelayDeps.verifyAttachment). */
  verifyAttachment?: RelayDeps['verifyAttachment'];
  /**
   * OpenTelemetry traces of each answer (relay span → bridge span → backend request), exported over OTLP/HTTP:
   * on when `otel.endpoint` is given or the standard OTEL_EXPORTER_OTLP_ENDPOINT /
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables are set (service name OTEL_SERVICE_NAME, else `llc-relay`);
   * `false` keeps it off whatever the environment says. Off by default.
   */
  otel?: TracingOptions | false;
  /** An exporter already running (`llc-relay` passes its own): used instead of `otel`, and not shut down here. */
  tracing?: Tracing;
}

export interface EmbeddedStack {
  relay: Relay;
  broker: Broker;
  store: Store;
  bridge: Bridge;
  auth: Authenticator;
  /** The running exporter, when tracing is on. */
  tracing?: Tracing;
  /** Graceful stop: drain the relay, let the bridge finish, close broker and store. */
  stop(): Promise<void>;
  /** Immediate stop (tests). */
  close(): Promise<void>;
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  if (options.backends.length === 0 && !options.router)
    throw new Error('the embedded bridge needs at least one inference backend');
  const log = options.log ?? consoleLogger('llc-relay');
  const owned = options.tracing || options.otel === false ? undefined : startTracing('llc-relay', options.otel ?? {});
  const tracing = options.tracing ?? owned;
  const broker = options.broker ?? new MemoryBroker();
  const store = options.store ?? new MemoryStore();
  const auth = await Authenticator.create(options.auth);
  /** Known once the relay listens (the bridge starts first). */
  const started: { relayUrl?: string } = {};
  const bridge = new Bridge({
    broker,
    router: options.router ?? new RoundRobinRouter(options.backends),
    log: (m, e, f) => log.warn(`bridge: ${m}`, e, f),
    ...(tracing ? { tracer: tracing.tracer('@locallightchat/inference-bridge') } : {}),
    ...options.bridge,
    // Attachments uploaded to the relay (`/uploads/…`) are read from the relay itself: the bridge sits beside it.
    attachments: { baseUrl: () => started.relayUrl, ...options.bridge?.attachments },
  });
  bridge.start();
  const relay = await startRelay(options.relay ?? {}, {
    broker,
    store,
    auth,
    metrics: new RelayMetrics(),
    log,
    ...(options.verifyAttachment ? { verifyAttachment: options.verifyAttachment } : {}),
    ...(tracing ? { tracer: tracing.tracer('@locallightchat/relay') } : {}),
  });
  started.relayUrl = relay.url;
  const closeAll = async () => {
    await broker.close();
    await store.close();
    await owned?.shutdown().catch((error: unknown) => log.warn('could not send the last spans', error));
  };
  return {
    relay,
    broker,
    store,
    bridge,
    auth,
    ...(tracing ? { tracing } : {}),
    async stop() {
      await relay.drain();
      await bridge.stop(true, 10_000);
      await closeAll();
    },
    async close() {
      await relay.close();
      await bridge.stop(false);
      await closeAll();
    },
  };
}

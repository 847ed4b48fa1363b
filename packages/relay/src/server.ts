/**
 * The relay server: a uWebSockets.js app with one WebSocket route, the SSE fallback and a few HTTP routes.
 *
 *   WS   /ws              the protocol (token in `hello`, or at upgrade via `?token=` / `bearer.<jwt>` subprotocol)
 *                         (transports/websocket.ts)
 *   GET  /sse, POST /sse/frames   the same protocol over Server-Sent Events + POST (transports/sse.ts)
 *   GET  /healthz, /readyz, /metrics, POST /auth/dev-token, GET /* static files   (http/routes.ts)
 *
 * Both transports open their connections through one registry (connection/connection-registry.ts); what a
 * connection does is in connection/, whatever its transport.
 *
 * Lifecycle: `startRelay` → listening; `drain()` → stop accepting, `go-away` to every socket with a jittered
 * reconnect hint, wait for them to leave (their streams resume on another node), close the rest; `close()` →
 * immediate shutdown. The broker and store belong to the caller, who closes them after the relay.
 */
import { readFileSync } from 'node:fs';
import { CloseCode } from '@locallightchat/protocol';
import { resolveConfig, type RelayConfig } from './config.js';
import { ConnectionRegistry } from './connection/connection-registry.js';
import { FrameDispatcher } from './connection/dispatcher.js';
import { createContext, type OwnedRelayContext, type RelayDeps } from './context.js';
import { registerHttpRoutes } from './http/routes.js';
import type { RelayMetrics } from './metrics.js';
import { registerSse, type SseEndpoints } from './transports/sse.js';
import { registerWebSocket } from './transports/websocket.js';
import { PortListener } from './port-listener.js';
import { assertNativeUws, logUwsBuildOnce, uWS, type TemplatedApp } from './uws.js';

export { RelayListenError } from './port-listener.js';

/** A running relay (see the module comment for its lifecycle). */
export interface Relay {
  readonly port: number;
  /** http://host:port (https:// with TLS) */
  readonly url: string;
  /** ws://host:port/ws (wss:// with TLS) */
  readonly wsUrl: string;
  readonly config: RelayConfig;
  readonly metrics: RelayMetrics;
  /** Open sockets. */
  readonly connectionCount: number;
  /** Graceful: see the module comment. Resolves when every socket is gone. */
  drain(): Promise<void>;
  /** Immediate: closes every socket (1001) and the listener. */
  close(): Promise<void>;
}

/** How often a drain looks whether every socket left. */
const DRAIN_POLL_MS = 100;

/**
 * Starts a relay on `options` (a partial {@link RelayConfig}) and the given ports; resolves once it listens.
 * Throws {@link NativeUwsMissingError} without uWS's native binary, a RangeError for contradictory settings and
 * {@link RelayListenError} when the port cannot be bound.
 */
/**
 * uWS's TLS app. uWS does not say when it cannot read the files (the app then fails its handshakes), so they
 * are checked here first: a clear error at start instead.
 */
function tlsApp(tls: NonNullable<RelayConfig['tls']>): TemplatedApp {
  for (const [what, file] of [
    ['certificate', tls.certFile],
    ['key', tls.keyFile],
  ] as const) {
    try {
      readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return uWS.SSLApp({
    cert_file_name: tls.certFile,
    key_file_name: tls.keyFile,
    ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
  });
}

export async function startRelay(options: Partial<RelayConfig>, deps: RelayDeps): Promise<Relay> {
  assertNativeUws();
  const ctx = createContext(resolveConfig(options), deps);
  logUwsBuildOnce(ctx.log);
  const connections = new ConnectionRegistry(ctx);
  const dispatcher = new FrameDispatcher(ctx);
  const app = ctx.config.tls ? tlsApp(ctx.config.tls) : uWS.App();
  registerWebSocket(app, ctx, connections, dispatcher);
  const sse = registerSse(app, ctx, connections, dispatcher);
  registerHttpRoutes(app, ctx, connections);
  const parts = { ctx, connections, sse };
  let listener: PortListener;
  try {
    listener = await PortListener.open(app, ctx.config.host, ctx.config.port, (m) => ctx.log.warn(m));
  } catch (error) {
    await stopParts(parts);
    throw error;
  }
  if (ctx.config.sharedPort) pauseWhenFull(ctx, connections, listener);
  return new RunningRelay(parts, listener);
}

/** On a shared port, a full process stops listening until it has room again (port-listener.ts says why). */
function pauseWhenFull(ctx: OwnedRelayContext, connections: ConnectionRegistry, listener: PortListener): void {
  connections.onCapacity = (full) => {
    if (full) {
      listener.pause();
      ctx.log.info(`at capacity (${connections.size} connections): not listening until ${connections.reopenAt}`);
    } else if (!ctx.draining && listener.resume()) {
      ctx.log.info(`listening again (${connections.size} connections)`);
    }
  };
}

interface RelayParts {
  ctx: OwnedRelayContext;
  connections: ConnectionRegistry;
  sse: SseEndpoints;
}

/** Stops the timers of a relay whose sockets are closed: the deadline and idle sweeps, the hub. */
async function stopParts({ ctx, connections, sse }: RelayParts): Promise<void> {
  connections.stop();
  sse.stop();
  await ctx.hub.close();
  await ctx.feedbackWebhook?.settled();
}

class RunningRelay implements Relay {
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  constructor(
    private readonly parts: RelayParts,
    private readonly listener: PortListener,
  ) {
    const { config } = parts.ctx;
    this.port = listener.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const secure = config.tls ? 's' : '';
    this.url = `http${secure}://${host}:${this.port}`;
    this.wsUrl = `ws${secure}://${host}:${this.port}${config.wsPath}`;
  }

  get config(): RelayConfig {
    return this.parts.ctx.config;
  }

  get metrics(): RelayMetrics {
    return this.parts.ctx.metrics;
  }

  get connectionCount(): number {
    return this.parts.connections.size;
  }

  async drain(): Promise<void> {
    const { ctx, connections } = this.parts;
    ctx.draining = true;
    this.listener.close();
    connections.notifyAll(() => ({
      type: 'go-away',
      reason: 'draining',
      reconnectAfterMs: Math.floor(Math.random() * ctx.config.goAwayJitterMs),
    }));
    const deadline = Date.now() + ctx.config.drainTimeoutMs;
    while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    connections.closeAll(CloseCode.Draining, 'draining: reconnect and resume', { flush: true });
    await stopParts(this.parts);
  }

  async close(): Promise<void> {
    this.parts.ctx.draining = true;
    this.listener.close();
    this.parts.connections.closeAll(CloseCode.GoingAway, 'relay closing');
    await stopParts(this.parts);
  }
}

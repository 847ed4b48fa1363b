/**
 * The relay server: a uWebSockets.js app with one WebSocket route and a few HTTP routes.
 *
 *   WS   /ws              the protocol (token in `hello`, or at upgrade via `?token=` / `bearer.<jwt>` subprotocol)
 *   GET  /sse, POST /sse/frames   the same protocol over Server-Sent Events + POST (see http/sse-endpoints.ts)
 *   GET  /healthz         the process is up
 *   GET  /readyz          broker and store connected and not draining (load balancers route on this)
 *   GET  /metrics         Prometheus
 *   POST /auth/dev-token  dev mode only: mints a token for `{ "user": "…" }`
 *   GET  /*               static files, when a directory is configured
 *
 * Lifecycle: `startRelay` → listening; `drain()` → stop accepting, `go-away` to every socket with a jittered
 * reconnect hint, wait for them to leave (their streams resume on another node), close the rest; `close()` →
 * immediate shutdown. The broker and store belong to the caller, who closes them after the relay.
 */
import { CloseCode, type FrameLimits } from '@locallightchat/protocol';
import type { Broker } from '@locallightchat/broker';
import type { Authenticator, Principal } from './auth/authenticator.js';
import { resolveConfig, type RelayConfig } from './config.js';
import type { RelayContext } from './context.js';
import { ConversationHub } from './conversations/conversation-hub.js';
import { headersOf, json, readBody, serveAsync, writeReply } from './http/respond.js';
import { registerSse } from './http/sse-endpoints.js';
import { StaticFiles } from './http/static-files.js';
import { consoleLogger, type Logger } from './log.js';
import { RelayMetrics } from './metrics.js';
import type { Store } from './store/store.js';
import { assertNativeUws, uWS, type TemplatedApp, type WebSocket, type us_listen_socket } from './uws.js';
import { Connection, type SocketHandle } from './ws/connection.js';
import { resolveSendQueueOptions } from './ws/send-queue.js';
import { limitsFor, onSocketMessage } from './ws/dispatcher.js';

export interface RelayDeps {
  broker: Broker;
  store: Store;
  auth: Authenticator;
  metrics?: RelayMetrics;
  log?: Logger;
}

export interface Relay {
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/ws */
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

interface UserData {
  principal?: Principal;
  conn?: Connection;
}

/** The relay could not bind its port (in use, or the address is not local). */
export class RelayListenError extends Error {
  override readonly name = 'RelayListenError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`cannot listen on ${host}:${port}`);
  }
}

const SUBPROTOCOL = 'llc.v1';
const DEADLINE_SWEEP_MS = 250;

export async function startRelay(options: Partial<RelayConfig>, deps: RelayDeps): Promise<Relay> {
  assertNativeUws();
  const config = resolveConfig(options);
  const metrics = deps.metrics ?? new RelayMetrics();
  const log = deps.log ?? consoleLogger('llc-relay');
  const hub = new ConversationHub(
    deps.broker,
    deps.store,
    metrics,
    {
      ringBatches: config.ringBatches,
      endedRetentionMs: config.endedStreamRetentionMs,
      lingerMs: config.conversationLingerMs,
    },
    (m, e) => log.warn(m, e),
  );
  const state = { draining: false };
  const ctx: RelayContext = {
    config,
    broker: deps.broker,
    store: deps.store,
    hub,
    auth: deps.auth,
    metrics,
    log,
    sendQueueOptions: resolveSendQueueOptions({
      highWaterBytes: config.sendHighWaterBytes,
      hardLimitBytes: config.sendHardLimitBytes,
      prioritizeFirstTokens: config.prioritizeFirstTokens,
    }),
    get draining() {
      return state.draining;
    },
  };
  const connections = new Set<Connection>();
  const limits = limitsFor(config.maxFrameBytes);
  const app = uWS.App();

  registerWebSocket(app, ctx, connections, limits, state);
  const sse = registerSse(app, ctx, connections, limits, state);
  registerHttp(app, ctx, state);
  // One sweep for every socket's deadlines (hello timeout, token expiry) instead of timers per socket.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const conn of connections) conn.checkDeadlines(now);
  }, DEADLINE_SWEEP_MS);
  sweep.unref();

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (socket) =>
      socket ? resolve(socket) : reject(new RelayListenError(config.host, config.port)),
    );
  });
  const port = uWS.us_socket_local_port(listenSocket);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  let listening = true;
  const stopListening = () => {
    if (!listening) return;
    listening = false;
    uWS.us_listen_socket_close(listenSocket);
  };

  return {
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}${config.wsPath}`,
    config,
    metrics,
    get connectionCount() {
      return connections.size;
    },
    async drain() {
      state.draining = true;
      stopListening();
      for (const conn of connections) {
        conn.send({
          type: 'go-away',
          reason: 'draining',
          reconnectAfterMs: Math.floor(Math.random() * config.goAwayJitterMs),
        });
      }
      const deadline = Date.now() + config.drainTimeoutMs;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const conn of [...connections]) {
        conn.flushNow();
        conn.close(CloseCode.Draining, 'draining: reconnect and resume');
      }
      clearInterval(sweep);
      sse.stop();
      await hub.close();
    },
    async close() {
      state.draining = true;
      stopListening();
      for (const conn of [...connections]) conn.close(CloseCode.GoingAway, 'relay closing');
      clearInterval(sweep);
      sse.stop();
      await hub.close();
    },
  };
}

function registerWebSocket(
  app: TemplatedApp,
  ctx: RelayContext,
  connections: Set<Connection>,
  limits: FrameLimits,
  state: { draining: boolean },
): void {
  const { config, metrics, auth } = ctx;
  app.ws<UserData>(config.wsPath, {
    // Frames up to 4× the limit are read and refused with an error frame; beyond that uWS cuts the connection.
    maxPayloadLength: Math.max(config.maxFrameBytes * 4, 1024 * 1024),
    // Two heartbeat intervals of silence close the socket (uWS checks in 4 s steps).
    // uWS refuses values above 960 s (and aborts the process), so long heartbeats are capped there.
    idleTimeout: Math.min(960, Math.max(8, Math.ceil((config.heartbeatMs * 2) / 4000) * 4)),
    sendPingsAutomatically: true,
    // Above our own hard bound, so uWS never drops a frame by itself: our queue closes resumably first.
    maxBackpressure: config.sendHardLimitBytes * 2,
    closeOnBackpressureLimit: 0,
    compression: uWS.DISABLED,

    upgrade: (res, req, context) => {
      const headers = headersOf(req, [
        'sec-websocket-key',
        'sec-websocket-protocol',
        'sec-websocket-extensions',
        'origin',
      ]);
      const query = req.getQuery();
      const queryToken = query ? (new URLSearchParams(query).get('token') ?? undefined) : undefined;
      if (state.draining) return void res.writeStatus('503 Service Unavailable').end('draining');
      if (config.allowedOrigins && headers.origin && !config.allowedOrigins.includes(headers.origin)) {
        return void res.writeStatus('403 Forbidden').end('origin not allowed');
      }
      const offered = (headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const bearer = offered.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
      const selected = offered.includes(SUBPROTOCOL)
        ? SUBPROTOCOL
        : (offered.find((p) => !p.startsWith('bearer.')) ?? '');
      const token = queryToken ?? bearer;
      const upgrade = (principal?: Principal) =>
        res.upgrade<UserData>(
          { principal },
          headers['sec-websocket-key']!,
          selected,
          headers['sec-websocket-extensions']!,
          context,
        );
      if (!token) return upgrade();
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      auth.verify(token).then(
        (principal) => {
          if (!aborted) res.cork(() => upgrade(principal));
        },
        (error: unknown) => {
          metrics.errors.inc({ code: 'unauthorized' });
          if (!aborted)
            res.cork(() =>
              writeReply(res, json(401, { error: error instanceof Error ? error.message : 'unauthorized' })),
            );
        },
      );
    },

    open: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      const conn = new Connection(new UwsSocket(ws), ctx, data.principal);
      data.conn = conn;
      connections.add(conn);
      metrics.connections.inc();
      metrics.connectionsTotal.inc();
      conn.helloDeadline = Date.now() + config.helloTimeoutMs;
    },

    message: (ws, message, isBinary) => {
      const conn = ws.getUserData().conn;
      if (conn) onSocketMessage(conn, message, isBinary, limits);
    },

    drain: (ws) => ws.getUserData().conn?.drained(),

    close: (ws) => {
      const conn = ws.getUserData().conn;
      if (!conn) return;
      conn.onClosed();
      if (connections.delete(conn)) metrics.connections.dec();
    },
  });
}

/** A connection's view of its uWS socket (a class, not closures: one small object per socket). */
class UwsSocket implements SocketHandle {
  constructor(private readonly ws: WebSocket<UserData>) {}
  send(bytes: Uint8Array): number {
    return this.ws.send(bytes, true, false);
  }
  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }
  cork(fn: () => void): void {
    this.ws.cork(fn);
  }
  end(code: number, reason: string): void {
    this.ws.end(code, reason);
  }
}

function registerHttp(app: TemplatedApp, ctx: RelayContext, state: { draining: boolean }): void {
  const { config, metrics, auth, broker, store } = ctx;
  app.get('/healthz', (res) => writeReply(res, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }));
  app.get('/readyz', (res) => {
    const checks = { broker: broker.status, store: store.status, draining: state.draining };
    const ready = broker.status === 'connected' && store.status === 'connected' && !state.draining;
    writeReply(res, json(ready ? 200 : 503, { ready, ...checks }));
  });
  app.get('/metrics', (res) => {
    serveAsync(res, async () => ({
      status: 200,
      headers: { 'content-type': metrics.registry.contentType },
      body: await metrics.registry.metrics(),
    }));
  });

  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
  app.options('/auth/dev-token', (res) =>
    writeReply(res, { status: 204, headers: { ...cors, 'access-control-allow-methods': 'POST' } }),
  );
  app.post('/auth/dev-token', (res) => {
    if (!auth.isDev) return writeReply(res, json(404, { error: 'dev tokens are disabled (production mode)' }));
    serveAsync(res, async () => {
      const body = await readBody(res, 4096);
      let user: unknown;
      try {
        user =
          body && body.byteLength
            ? (JSON.parse(Buffer.from(body).toString('utf8')) as { user?: unknown }).user
            : undefined;
      } catch {
        return json(400, { error: 'body must be JSON: {"user":"name"}' }, cors);
      }
      if (user !== undefined && (typeof user !== 'string' || !/^[\w.@-]{1,64}$/.test(user))) {
        return json(400, { error: 'user must be 1-64 characters of letters, digits, _ . @ -' }, cors);
      }
      const userId = user ?? `dev-${Math.random().toString(36).slice(2, 10)}`;
      return json(200, { userId, ...(await auth.mintDevToken(userId)) }, cors);
    });
  });

  const files = config.staticDir ? new StaticFiles(config.staticDir) : undefined;
  app.get('/*', (res, req) => {
    if (!files) return writeReply(res, json(404, { error: 'not found' }));
    const url = req.getUrl();
    const etag = req.getHeader('if-none-match');
    serveAsync(res, () => files.serve(url, etag));
  });
  app.any('/*', (res) => writeReply(res, json(405, { error: 'method not allowed' })));
}

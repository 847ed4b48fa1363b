/**
 * The WebSocket transport: uWS's `ws` route at `config.wsPath`. The upgrade checks draining and origin, picks
 * the `llc.v1` subprotocol and verifies a token sent with it (`?token=` or a `bearer.<jwt>` subprotocol); then
 * the socket becomes a {@link Connection} through the registry's accept path, and its messages go to the
 * dispatcher.
 */
import type { Principal } from '../auth/authenticator.js';
import type { RelayConfig } from '../config.js';
import type { Connection, SocketHandle } from '../connection/connection.js';
import type { ConnectionRegistry } from '../connection/connection-registry.js';
import type { FrameDispatcher } from '../connection/dispatcher.js';
import type { RelayContext } from '../context.js';
import { writeReply } from '../http/respond.js';
import {
  uWS,
  type HttpRequest,
  type HttpResponse,
  type TemplatedApp,
  type WebSocket,
  type us_socket_context_t,
} from '../uws.js';
import { clientAddressOf, openWhenVerified, refusalOf } from './admission.js';

interface UserData {
  principal?: Principal;
  address: string;
  conn?: Connection;
}

const SUBPROTOCOL = 'llc.v1';

/** Adds the WebSocket route to `app`; its connections come from `connections`, its frames go to `dispatcher`. */
export function registerWebSocket(
  app: TemplatedApp,
  ctx: RelayContext,
  connections: ConnectionRegistry,
  dispatcher: FrameDispatcher,
): void {
  app.ws<UserData>(ctx.config.wsPath, {
    ...socketSettings(ctx.config),
    upgrade: (res, req, context) => upgrade(ctx, connections, res, req, context),
    open: (ws: WebSocket<UserData>) => {
      const data = ws.getUserData();
      data.conn = connections.accept(new UwsSocket(ws), data.address, data.principal);
    },
    message: (ws, message, isBinary) => {
      const conn = ws.getUserData().conn;
      if (conn) dispatcher.receive(conn, message, isBinary);
    },
    drain: (ws) => ws.getUserData().conn?.drained(),
    close: (ws) => ws.getUserData().conn?.onClosed(),
  });
}

/** uWS's per-socket limits, derived from the relay's config. */
function socketSettings(config: RelayConfig) {
  return {
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
  };
}

function upgrade(
  ctx: RelayContext,
  connections: ConnectionRegistry,
  res: HttpResponse,
  req: HttpRequest,
  context: us_socket_context_t,
): void {
  // The request is invalid after this callback returns: copy what is needed first (plain locals: this runs for
  // every accepted connection, bench/results/2026-12-05/accept-path.md).
  const key = req.getHeader('sec-websocket-key');
  const protocols = req.getHeader('sec-websocket-protocol');
  const extensions = req.getHeader('sec-websocket-extensions');
  const origin = req.getHeader('origin');
  const query = req.getQuery();
  const queryToken = query ? (new URLSearchParams(query).get('token') ?? undefined) : undefined;
  const refusal = refusalOf(ctx, origin, connections);
  if (refusal) return writeReply(res, { status: refusal.status, body: refusal.error });
  const address = clientAddressOf(ctx, res, req);
  // What our client sends (`llc.v1` alone) needs no parsing.
  const { bearer, selected } = protocols === SUBPROTOCOL ? PLAIN : subprotocolsOf(protocols);
  openWhenVerified(res, ctx, address, queryToken ?? bearer, (principal) =>
    res.upgrade<UserData>({ principal, address }, key, selected, extensions, context),
  );
}

const PLAIN = { bearer: undefined, selected: SUBPROTOCOL };

/** The subprotocol to answer with, and a token sent as `bearer.<jwt>`, from Sec-WebSocket-Protocol. */
function subprotocolsOf(header: string): { bearer: string | undefined; selected: string } {
  const offered = header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const bearer = offered.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
  const selected = offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : (offered.find((p) => !p.startsWith('bearer.')) ?? '');
  return { bearer, selected };
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

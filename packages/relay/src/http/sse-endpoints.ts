/**
 * The fallback transport for networks that block WebSockets: server frames go down a Server-Sent Events
 * stream, client frames go up in HTTP POSTs. Behind both sits the same {@link Connection} as behind a socket
 * — same handshake (`hello` with a token), same send queue, seq rule, resume and limits — so the protocol's
 * semantics do not depend on the transport.
 *
 *   GET  /sse                 opens a stream (optionally `?token=`, verified first like a WebSocket upgrade).
 *                             First event `session` with `{"sid": "…"}`; then one `message` event per server
 *                             frame (its JSON form, `[kind, …fields]`); `close` with `{"code","reason"}` last.
 *   POST /sse/frames?sid=…    client frames in their JSON form, one per line, in order. 204, or 404 when the
 *                             stream is gone (the client reconnects), 413 when the body is too large.
 *
 * The `sid` is an unguessable capability for the stream (≈119 random bits); the user is authenticated by the
 * token in `hello`, exactly as on a socket. A stream whose client sent nothing (not even its heartbeat ping)
 * for two heartbeat intervals is closed, since a vanished TCP peer may never abort the response.
 */
import { CloseCode, decodeServerFrame, encodeFrameJson, newId, type FrameLimits } from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import type { HttpResponse, TemplatedApp } from '../uws.js';
import { Connection, type SocketHandle } from '../ws/connection.js';
import { onSocketMessage } from '../ws/dispatcher.js';
import { json, readBody, writeReply } from './respond.js';

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
/** Frames the relay itself wrote: generous limits, the validation only guards the re-encoding. */
const OWN_FRAMES: FrameLimits = { maxFrameBytes: Number.MAX_SAFE_INTEGER, maxTextChars: Number.MAX_SAFE_INTEGER };
const SWEEP_MS = 1000;

/** One event stream, seen by its {@link Connection} as a socket. */
class SseSocket implements SocketHandle {
  /** Bytes written while uWS reported backpressure (cleared when it becomes writable). */
  private backlog = 0;
  private ended = false;
  lastActivity = Date.now();
  conn?: Connection;

  constructor(
    readonly sid: string,
    private readonly res: HttpResponse,
    private readonly onGone: (socket: SseSocket) => void,
  ) {}

  send(bytes: Uint8Array): number {
    if (this.ended) return 2;
    const decoded = decodeServerFrame(bytes, OWN_FRAMES);
    if (!decoded.ok) return 1; // cannot happen for our own frames; skipping beats killing the stream
    const chunk = `data: ${encodeFrameJson(decoded.frame)}\n\n`;
    if (this.res.write(chunk)) return 1;
    this.backlog += chunk.length;
    return 0;
  }

  bufferedAmount(): number {
    return this.backlog;
  }

  cork(fn: () => void): void {
    if (this.ended) return fn();
    this.res.cork(fn);
  }

  end(code: number, reason: string): void {
    if (this.ended) return;
    this.res.cork(() => {
      this.res.write(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
      this.res.end();
    });
    this.gone();
  }

  writable(): boolean {
    this.backlog = 0;
    this.conn?.drained();
    return true;
  }

  /** The response is over (ended by us, or aborted by the client): release the connection. */
  gone(): void {
    if (this.ended) return;
    this.ended = true;
    this.onGone(this);
  }
}

export interface SseEndpoints {
  /** Streams open now. */
  readonly size: number;
  /** Stops the idle sweep (the relay closes the streams through their connections). */
  stop(): void;
}

export function registerSse(
  app: TemplatedApp,
  ctx: RelayContext,
  connections: Set<Connection>,
  limits: FrameLimits,
  state: { draining: boolean },
): SseEndpoints {
  const { config, metrics, auth } = ctx;
  const streams = new Map<string, SseSocket>();

  const forget = (socket: SseSocket) => {
    streams.delete(socket.sid);
    const conn = socket.conn;
    if (!conn) return;
    conn.onClosed();
    if (connections.delete(conn)) metrics.connections.dec();
  };

  const open = (res: HttpResponse, principal: Principal | undefined) => {
    const sid = newId('sse_');
    const socket = new SseSocket(sid, res, forget);
    res.onWritable(() => socket.writable());
    res.onAborted(() => socket.gone());
    res.writeStatus('200 OK');
    for (const [k, v] of Object.entries({
      ...CORS,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    })) {
      res.writeHeader(k, v);
    }
    res.write(`event: session\ndata: ${JSON.stringify({ sid })}\n\n`);
    const conn = new Connection(socket, ctx, principal);
    socket.conn = conn;
    streams.set(sid, socket);
    connections.add(conn);
    metrics.connections.inc();
    metrics.connectionsTotal.inc();
    conn.helloDeadline = Date.now() + config.helloTimeoutMs;
  };

  app.get('/sse', (res, req) => {
    if (state.draining) return writeReply(res, json(503, { error: 'draining' }, CORS));
    const origin = req.getHeader('origin');
    if (config.allowedOrigins && origin && !config.allowedOrigins.includes(origin)) {
      return writeReply(res, json(403, { error: 'origin not allowed' }, CORS));
    }
    const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? undefined;
    if (!token) return open(res, undefined);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    auth.verify(token).then(
      (principal) => {
        if (!aborted) res.cork(() => open(res, principal));
      },
      (error: unknown) => {
        metrics.errors.inc({ code: 'unauthorized' });
        if (!aborted)
          res.cork(() =>
            writeReply(res, json(401, { error: error instanceof Error ? error.message : 'unauthorized' }, CORS)),
          );
      },
    );
  });

  app.options('/sse/frames', (res) =>
    writeReply(res, { status: 204, headers: { ...CORS, 'access-control-allow-methods': 'POST' } }),
  );
  app.post('/sse/frames', (res, req) => {
    const sid = new URLSearchParams(req.getQuery() ?? '').get('sid') ?? '';
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const reply = (status: number, body?: unknown) => {
      if (!aborted)
        res.cork(() => writeReply(res, body === undefined ? { status, headers: CORS } : json(status, body, CORS)));
    };
    // A body holds a few frames; bound it like a handful of the largest frames.
    void readBody(res, config.maxFrameBytes * 8).then((body) => {
      const socket = streams.get(sid);
      if (!socket?.conn) return reply(404, { error: 'unknown or closed event stream: open /sse again' });
      if (body === undefined)
        return reply(aborted ? 400 : 413, { error: `the body exceeds ${config.maxFrameBytes * 8} bytes` });
      socket.lastActivity = Date.now();
      const text = Buffer.from(body).toString('utf8');
      // Each line is one frame, handled exactly as a text frame on a socket (validation, rate limit, order).
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const bytes = Buffer.from(line, 'utf8');
        onSocketMessage(
          socket.conn,
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
          false,
          limits,
        );
        if (!socket.conn.isOpen) break;
      }
      reply(204);
    });
  });

  const sweep = setInterval(() => {
    const idleAfter = config.heartbeatMs * 2 + SWEEP_MS;
    const now = Date.now();
    for (const socket of streams.values()) {
      if (now - socket.lastActivity > idleAfter)
        socket.conn?.close(CloseCode.GoingAway, 'no traffic for two heartbeat intervals');
    }
  }, SWEEP_MS);
  sweep.unref();

  return {
    get size() {
      return streams.size;
    },
    stop() {
      clearInterval(sweep);
    },
  };
}

/**
 * The fallback transport for networks that block WebSockets: server frames go down a Server-Sent Events
 * stream, client frames go up in HTTP POSTs. Behind both sits the same {@link Connection} as behind a socket
 * — same accept path, handshake (`hello` with a token), send queue, seq rule, resume and limits — so the
 * protocol's semantics do not depend on the transport.
 *
 *   GET  /sse                 opens a stream (optionally `?token=`, verified first like a WebSocket upgrade).
 *                             First event `session` with `{"sid": "…"}`; then one `message` event per server
 *                             frame (its JSON form, `[kind, …fields]`); `close` with `{"code","reason"}` last.
 *   POST /sse/frames?sid=…    client frames in their JSON form, one per line, in order, with the header
 *                             `X-LLC-SSE-Key: <key>`. 204, or 404 when the stream is gone (the client
 *                             reconnects), 403 for a wrong key or a foreign Origin, 413 when the body is too large.
 *
 * The `session` event carries `{"sid", "key"}`. The sid names the stream in URLs (which end up in logs and
 * proxies); the key (≈119 random bits), known only to whoever reads the stream, is what lets a POST act for it:
 * it travels in a header, never in a URL, so a leaked sid is not enough. POSTs pass the same Origin check as
 * the stream. The user is authenticated by the token in `hello`, exactly as on a socket. A stream whose client sent nothing (not even its heartbeat ping)
 * for two heartbeat intervals is closed, since a vanished TCP peer may never abort the response.
 */
import { timingSafeEqual } from 'node:crypto';
import { CloseCode, decodeServerFrame, encodeFrameJson, newId, type FrameLimits } from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { Connection, SocketHandle } from '../connection/connection.js';
import type { ConnectionRegistry } from '../connection/connection-registry.js';
import type { FrameDispatcher } from '../connection/dispatcher.js';
import type { RelayContext } from '../context.js';
import { CORS, json, readBody, writeReply } from '../http/respond.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../uws.js';
import { clientAddressOf, openWhenVerified, originRefusal, refusalOf } from './admission.js';

const STREAM_HEADERS = {
  ...CORS,
  'content-type': 'text/event-stream',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
};
/** Frames the relay itself wrote: generous limits, the validation only guards the re-encoding. */
const OWN_FRAMES: FrameLimits = { maxFrameBytes: Number.MAX_SAFE_INTEGER, maxTextChars: Number.MAX_SAFE_INTEGER };
/** How often idle streams are looked for. */
const IDLE_SWEEP_MS = 1000;
/** A POST body holds a few frames: it is bounded like a handful of the largest frames. */
const FRAMES_PER_BODY = 8;
/** The header that carries a stream's key on its POSTs, and the headers a cross-origin POST may send. */
const KEY_HEADER = 'x-llc-sse-key';
const KEY_HEADERS = `content-type, ${KEY_HEADER}`;

/** One event stream, seen by its {@link Connection} as a socket. */
class SseSocket implements SocketHandle {
  /** Bytes written while uWS reported backpressure (cleared when it becomes writable). */
  private backlog = 0;
  private ended = false;
  lastActivity = Date.now();
  conn?: Connection;

  constructor(
    readonly sid: string,
    /** What a POST must carry to act for this stream (see the module comment). */
    readonly key: string,
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

/** Adds the SSE routes to `app`; their connections come from `connections`, their frames go to `dispatcher`. */
export function registerSse(
  app: TemplatedApp,
  ctx: RelayContext,
  connections: ConnectionRegistry,
  dispatcher: FrameDispatcher,
): SseEndpoints {
  return new SseTransport(app, ctx, connections, dispatcher);
}

class SseTransport implements SseEndpoints {
  private readonly streams = new Map<string, SseSocket>();
  private readonly sweep: ReturnType<typeof setInterval>;

  constructor(
    app: TemplatedApp,
    private readonly ctx: RelayContext,
    private readonly connections: ConnectionRegistry,
    private readonly dispatcher: FrameDispatcher,
  ) {
    app.get('/sse', (res, req) => this.onStreamRequest(res, req));
    app.options('/sse/frames', (res) =>
      writeReply(res, {
        status: 204,
        headers: { ...CORS, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': KEY_HEADERS },
      }),
    );
    app.post('/sse/frames', (res, req) => this.onFramesRequest(res, req));
    this.sweep = setInterval(() => this.closeIdle(), IDLE_SWEEP_MS);
    this.sweep.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  stop(): void {
    clearInterval(this.sweep);
  }

  /** GET /sse: refusals as for a WebSocket upgrade (JSON, with CORS), then the stream. */
  private onStreamRequest(res: HttpResponse, req: HttpRequest): void {
    const refusal = refusalOf(this.ctx, req.getHeader('origin'), this.connections);
    if (refusal) return writeReply(res, json(refusal.status, { error: refusal.error }, CORS));
    const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? undefined;
    const address = clientAddressOf(this.ctx, res, req);
    openWhenVerified(res, this.ctx, address, token, (principal) => this.openStream(res, address, principal), CORS);
  }

  private openStream(res: HttpResponse, address: string, principal: Principal | undefined): void {
    const sid = newId('sse_');
    const key = newId('k_');
    const socket = new SseSocket(sid, key, res, (gone) => this.forget(gone));
    res.onWritable(() => socket.writable());
    res.onAborted(() => socket.gone());
    res.writeStatus('200 OK');
    for (const [k, v] of Object.entries(STREAM_HEADERS)) res.writeHeader(k, v);
    res.write(`event: session\ndata: ${JSON.stringify({ sid, key })}\n\n`);
    socket.conn = this.connections.accept(socket, address, principal);
    this.streams.set(sid, socket);
  }

  private forget(socket: SseSocket): void {
    this.streams.delete(socket.sid);
    socket.conn?.onClosed();
  }

  /** POST /sse/frames: the body's frames go to the stream's connection, in order. */
  private onFramesRequest(res: HttpResponse, req: HttpRequest): void {
    const sid = new URLSearchParams(req.getQuery() ?? '').get('sid') ?? '';
    const key = req.getHeader(KEY_HEADER);
    const origin = originRefusal(this.ctx, req.getHeader('origin'));
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const reply = (status: number, body?: unknown) => {
      if (!aborted)
        res.cork(() => writeReply(res, body === undefined ? { status, headers: CORS } : json(status, body, CORS)));
    };
    const limit = this.ctx.config.maxFrameBytes * FRAMES_PER_BODY;
    void readBody(res, limit).then((body) => {
      const socket = this.streams.get(sid);
      const conn = socket?.conn;
      if (!socket || !conn) return reply(404, { error: 'unknown or closed event stream: open /sse again' });
      if (origin) return reply(origin.status, { error: origin.error });
      if (!sameSecret(key, socket.key))
        return reply(403, { error: `the ${KEY_HEADER} header does not match the stream` });
      if (body === undefined) return reply(aborted ? 400 : 413, { error: `the body exceeds ${limit} bytes` });
      socket.lastActivity = Date.now();
      this.receiveLines(conn, Buffer.from(body).toString('utf8'));
      reply(204);
    });
  }

  /** Each line is one frame, handled exactly as a text frame on a socket (validation, rate limit, order). */
  private receiveLines(conn: Connection, text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const bytes = Buffer.from(line, 'utf8');
      this.dispatcher.receive(conn, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), false);
      if (!conn.isOpen) break;
    }
  }

  private closeIdle(): void {
    const idleAfter = this.ctx.config.heartbeatMs * 2 + IDLE_SWEEP_MS;
    const now = Date.now();
    for (const socket of this.streams.values()) {
      if (now - socket.lastActivity > idleAfter)
        socket.conn?.close(CloseCode.GoingAway, 'no traffic for two heartbeat intervals');
    }
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

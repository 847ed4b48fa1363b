/**
 * Fallback transport for networks that block WebSockets: Server-Sent Events down, HTTP POST up, against the
 * relay's `/sse` endpoints (next to its WebSocket path: `wss://host/ws` → `https://host/sse`). Frames travel in
 * their JSON form; the session above sees the same bytes as over a socket.
 *
 * Client frames are POSTed one request at a time, in order, batching whatever queued meanwhile (one frame per
 * line), so the relay handles them in the order the session sent them. `text/plain` keeps the POST a simple
 * CORS request (no preflight) — but for the stream's key, which a POST carries in a header (never in the URL, so
 * a leaked sid cannot act for the stream); a cross-origin page gets one preflight for it.
 */
import { decodeClientFrame, decodeServerFrameJson, encodeFrame, encodeFrameJson } from '@locallightchat/protocol';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** `ws://host:port/prefix/ws` → `http://host:port/prefix` (the SSE endpoints sit next to the socket path). */
export function sseBaseUrl(wsUrl: string): string {
  const url = new URL(wsUrl, globalThis.location?.href);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.pathname = url.pathname.replace(/\/[^/]*$/, '');
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/$/, '');
}

export const sseTransport: TransportFactory = (url: string, handlers: TransportHandlers): Transport => {
  const base = sseBaseUrl(url);
  const source = new EventSource(`${base}/sse`);
  let sid: string | undefined;
  let key = '';
  let closed = false;
  let inFlight = false;
  const queue: string[] = [];

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    // EventSource reconnects by itself; the session owns reconnects (backoff, resume), so stop it here.
    source.close();
    queue.length = 0;
    handlers.onClose(code, reason);
  };

  source.addEventListener('session', (event) => {
    let session: { sid?: unknown; key?: unknown };
    try {
      session = JSON.parse((event as MessageEvent<string>).data) as typeof session;
    } catch {
      return finish(1002, 'bad session event');
    }
    if (typeof session.sid !== 'string' || typeof session.key !== 'string') return finish(1002, 'bad session event');
    sid = session.sid;
    key = session.key;
    handlers.onOpen();
    pump();
  });
  source.onmessage = (event: MessageEvent<string>) => {
    const result = decodeServerFrameJson(event.data);
    // The session decodes (and validates) binary frames: hand it the same bytes a socket would.
    if (result.ok) handlers.onFrame(encodeFrame(result.frame));
    else console.warn('[llc-client] ignored an invalid SSE frame:', result.error.message);
  };
  source.addEventListener('close', (event) => {
    let code = 1006;
    let reason = 'event stream closed';
    try {
      const detail = JSON.parse((event as MessageEvent<string>).data) as { code?: unknown; reason?: unknown };
      if (typeof detail.code === 'number') code = detail.code;
      if (typeof detail.reason === 'string') reason = detail.reason;
    } catch {
      // keep the defaults
    }
    finish(code, reason);
  });
  source.onerror = () => finish(1006, 'event stream failed');

  function pump(): void {
    if (closed || inFlight || sid === undefined || queue.length === 0) return;
    inFlight = true;
    const body = queue.splice(0).join('\n');
    fetch(`${base}/sse/frames?sid=${encodeURIComponent(sid)}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-llc-sse-key': key },
    }).then(
      (response) => {
        inFlight = false;
        if (!response.ok)
          return finish(response.status === 404 ? 4000 : 1011, `POST /sse/frames answered ${response.status}`);
        pump();
      },
      (error: unknown) => {
        inFlight = false;
        finish(1006, `POST /sse/frames failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  return {
    kind: 'sse',
    get bufferedAmount() {
      return queue.reduce((n, s) => n + s.length, 0);
    },
    send(frame) {
      if (closed) return;
      const decoded = decodeClientFrame(frame);
      if (!decoded.ok) return;
      queue.push(encodeFrameJson(decoded.frame));
      pump();
    },
    close(code = 1000, reason = '') {
      finish(code, reason);
    },
  };
};

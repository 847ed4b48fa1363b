/**
 * uWS HTTP helpers. uWS requires `onAborted` before any await and a cork around writes made outside its own
 * callbacks; these helpers do both so route handlers can be plain async functions.
 */
import type { HttpResponse } from '../uws.js';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Headers that let a page on another origin call the relay's JSON endpoints (SSE, dev tokens). */
export const CORS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type',
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Writes a reply; call inside a cork (or a uWS callback's synchronous part). */
export function writeReply(res: HttpResponse, reply: Reply): void {
  res.writeStatus(`${reply.status} ${STATUS_TEXT[reply.status] ?? ''}`.trim());
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
  res.end(reply.body ?? '');
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** Serves an async handler safely: aborted requests are never written to. */
export function serveAsync(res: HttpResponse, handler: () => Promise<Reply>): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  handler().then(
    (reply) => {
      if (!aborted) res.cork(() => writeReply(res, reply));
    },
    (error: unknown) => {
      if (!aborted)
        res.cork(() =>
          writeReply(res, json(500, { error: error instanceof Error ? error.message : 'internal error' })),
        );
    },
  );
}

/** Reads a request body up to `limit` bytes; resolves undefined when it is larger or the request aborted. */
export function readBody(res: HttpResponse, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        done = true;
        return resolve(undefined);
      }
      // The chunk is neutered when this callback returns: copy it.
      chunks.push(new Uint8Array(chunk.slice(0)));
      if (isLast) {
        done = true;
        const body = new Uint8Array(size);
        let offset = 0;
        for (const c of chunks) {
          body.set(c, offset);
          offset += c.byteLength;
        }
        resolve(body);
      }
    });
  });
}

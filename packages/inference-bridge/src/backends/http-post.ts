/**
 * The OpenAI backend's default transport: a POST over node:http(s) with a keep-alive agent, its answer's body
 * read as a Node stream.
 *
 * Why not the global fetch: a bridge holds thousands of streams open at once, and at 5,000 concurrent streams
 * (bench/bridge/run-bridge.mjs --profile, 2026-12-03) fetch itself was a third of the bridge's CPU: undici's
 * per-origin Pool scans all its connections for a free one on every request (O(n) per request, 3.6 % of the
 * samples alone), each request and each body builds WHATWG streams (whose constructors make AbortSignals and
 * transferables), every chunk passes through the web stream's promises, and it all feeds the garbage collector
 * (20 % of the samples). node:http's agent takes a free socket from a list, llhttp parses in C++, and the
 * body's chunks are Buffers read from a Node stream.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { dataEventBody } from './data-event-body.js';

/** What {@link httpPost} resolves to: the status, a header reader, and the body (consumed once). */
export interface HttpAnswer {
  status: number;
  header(name: string): string | null;
  /** The body as it arrives (for a 200 stream). */
  body: AsyncIterable<Uint8Array>;
  /** The whole body as text (for an error answer). */
  text(): Promise<string>;
}

/**
 * A keep-alive agent per backend: sockets of finished streams are reused, as many are opened as requests run at
 * once (the server's own limits apply), and an idle one is closed after 4 s — before the 5 s after which Node's
 * and uvicorn's (vLLM's) servers close idle connections, so a request never races the server's close. (The
 * agent's timeout only ends idle sockets; a stream that is quiet for longer is left alone.)
 */
export function keepAliveAgent(url: URL): HttpAgent {
  const options = { keepAlive: true, scheduling: 'lifo' as const, timeout: 4000 };
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/**
 * POSTs `body` to `url`. Rejects when no answer's head arrives (refused, reset, aborted by `signal`: the
 * error is Node's, with its `code`); once it resolves, an abort of `signal` destroys the response, and its
 * body's iteration throws.
 */
export async function httpPost(
  url: URL,
  agent: HttpAgent,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  try {
    return await postOnce(url, agent, headers, body, signal);
  } catch (error) {
    // A kept-alive socket the server closed just as we sent on it (its idle timeout raced ours): the request
    // never reached the server, so it is sent once more, on a fresh socket — Node's documented remedy.
    if (!(error instanceof StaleSocketError) || signal.aborted)
      throw error instanceof StaleSocketError ? error.cause : error;
    return postOnce(url, agent, headers, body, signal);
  }
}

/** A failure before any answer on a reused keep-alive socket (see httpPost). */
class StaleSocketError extends Error {
  constructor(override readonly cause: unknown) {
    super('a kept-alive socket was closed by the server');
  }
}

function postOnce(
  url: URL,
  agent: HttpAgent,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    abortOn(signal, req);
    // Before the head: the failure rejects. After it (an abort or reset mid-body), the response's body
    // iteration throws it; these listeners only keep it from being an uncaught 'error' event.
    req.on('error', (error: Error & { code?: string }) =>
      reject(
        req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
          ? new StaleSocketError(error)
          : error,
      ),
    );
    req.once('response', (res: IncomingMessage) => {
      res.on('error', ignore);
      resolve(answerOf(res));
    });
    req.end(body);
  });
}

/** A GET whose JSON answer is returned (undefined for a non-2xx status). */
export function httpGetJson(
  url: URL,
  agent: HttpAgent,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', agent, headers });
    abortOn(signal, req);
    req.on('error', reject);
    req.once('response', (res: IncomingMessage) => {
      res.on('error', ignore);
      const answer = answerOf(res);
      answer.text().then((text) => {
        if (answer.status < 200 || answer.status > 299) return resolve(undefined);
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }, reject);
    });
    req.end();
  });
}

function ignore(): void {}

/**
 * Destroys `req` (and its response) when `signal` aborts, until the request is over. Not http.request's own
 * `signal` option: that destroys with an error, which also lands on the socket and, once the answer is complete,
 * is an uncaught 'error' event; a plain destroy surfaces as "socket hang up" / "aborted" on the request and
 * its body, which the caller reads as an interruption.
 */
function abortOn(signal: AbortSignal, req: ClientRequest): void {
  if (signal.aborted) {
    req.destroy();
    return;
  }
  const onAbort = () => req.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  req.once('close', () => signal.removeEventListener('abort', onAbort));
}

function answerOf(res: IncomingMessage): HttpAnswer {
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    body: dataEventBody(res),
    text: async () => {
      res.setEncoding('utf8');
      let text = '';
      for await (const part of res) text += part as string;
      return text;
    },
  };
}

/**
 * `OpenAIBackend`: streams chat completions from vLLM's OpenAI-compatible API (or any compatible server) over
 * Node's built-in fetch (undici, keep-alive, no per-origin connection cap by default).
 *
 * Request: `POST {baseURL}/chat/completions` with `stream: true`, `stream_options.include_usage` (so usage
 * always arrives, for token accounting), `X-Request-Id`, `priority` only when non-zero, `seed` when set.
 *
 * Stream: parsed with eventsource-parser. Deltas may hold several tokens (never count chunks as tokens); both
 * `delta.reasoning` and the legacy `delta.reasoning_content` surface as `reasoning`; the final chunk's text is
 * kept; the `end` event is emitted at `[DONE]` with the finish reason and usage. An error object inside the 200
 * stream, a malformed line, or a body that ends without `[DONE]` are errors.
 */
import { createParser } from 'eventsource-parser';
import {
  InferenceError,
  type BackendFinishReason,
  type InferenceBackend,
  type InferenceErrorKind,
  type InferenceEvent,
  type InferenceRequest,
  type Usage,
} from '../backend.js';
import { readChunk } from './openai-chunks.js';
import { describeFetchError, httpError, streamError } from './openai-errors.js';

export interface OpenAIBackendOptions {
  /** Base URL including the version, e.g. `http://gpu-1:8000/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Name for logs and metric labels; default the URL's `host:port`. */
  name?: string;
  /**
   * Model used when a request names none. Default: the first model the server lists at `GET /models`
   * (fetched once and cached), which is what vLLM serves.
   */
  defaultModel?: string;
  /**
   * Always this model, whatever the request names: for a cloud fallback, whose model names differ from the
   * replicas' (requests name the local model).
   */
  model?: string;
  /** No first `data:` line within this many ms after sending → the request is aborted with `timeout`. */
  ttftTimeoutMs?: number;
  /** After `[DONE]`, how long to wait for the body to end so the connection can be reused (default 2000). */
  drainTimeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** A fetch implementation, e.g. one bound to a dedicated undici Agent (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
}

/** Longest error body read (a misconfigured proxy can answer with megabytes of HTML). */
const MAX_ERROR_BODY_CHARS = 16_384;
/** Longest single SSE event accepted (a delta is normally a few bytes; a coalesced one a few KiB). */
const MAX_EVENT_CHARS = 8 * 1024 * 1024;

export class OpenAIBackend implements InferenceBackend {
  readonly name: string;
  private readonly endpoint: string;
  private readonly modelsEndpoint: string;
  private readonly fetchImpl: typeof globalThis.fetch;
  private discovered?: Promise<string | undefined>;

  constructor(private readonly options: OpenAIBackendOptions) {
    const base = new URL(options.baseURL.endsWith('/') ? options.baseURL : `${options.baseURL}/`);
    this.name = options.name ?? base.host;
    this.endpoint = new URL('chat/completions', base).toString();
    this.modelsEndpoint = new URL('models', base).toString();
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async *stream(request: InferenceRequest, signal: AbortSignal): AsyncGenerator<InferenceEvent, void, undefined> {
    const backend = this.name;
    let beforeFirstToken = true;
    const error = (kind: InferenceErrorKind, message: string, extra: { status?: number } = {}) =>
      new InferenceError(kind, message, { backend, beforeFirstToken, ...extra });
    if (signal.aborted) throw error('aborted', 'the request was aborted before it was sent');

    // One controller for the whole exchange: the caller's abort, the TTFT timeout and an early `return()` by
    // the consumer all end the HTTP request, which is how vLLM learns to abort the sequence.
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let ttftTimer: ReturnType<typeof setTimeout> | undefined;
    if (this.options.ttftTimeoutMs !== undefined && this.options.ttftTimeoutMs > 0) {
      ttftTimer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.options.ttftTimeoutMs);
    }
    /** When the exchange was cut short on purpose, the error that says so. */
    const interruption = (): InferenceError | undefined => {
      if (signal.aborted) return error('aborted', 'the request was aborted');
      if (timedOut) return error('timeout', `no first token from ${backend} within ${this.options.ttftTimeoutMs} ms`);
      return undefined;
    };

    try {
      const model =
        this.options.model ??
        request.model ??
        this.options.defaultModel ??
        (await this.discoverModel(controller.signal));
      let response: Response;
      try {
        response = await this.fetchImpl(this.endpoint, {
          method: 'POST',
          headers: this.headers(request),
          body: JSON.stringify(this.body(request, model)),
          signal: controller.signal,
        });
      } catch (cause) {
        throw interruption() ?? error('connect', `cannot reach ${backend}: ${describeFetchError(cause)}`);
      }
      if (!response.ok) {
        let text = '';
        try {
          text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
        } catch {
          const cut = interruption();
          if (cut) throw cut;
        }
        throw httpError(backend, response.status, text, response.headers.get('retry-after'));
      }
      if (!response.body) throw error('server', `${backend} answered 200 without a body`);

      const pending: string[] = [];
      let overflow = false;
      const parser = createParser({
        onEvent: (event) => pending.push(event.data),
        // A server that never ends a line must not grow our memory without bound.
        onError: (e) => void (e.type === 'max-buffer-size-exceeded' && (overflow = true)),
        maxBufferSize: MAX_EVENT_CHARS,
      });
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      let finishReason: BackendFinishReason | undefined;
      let usage: Usage | undefined;
      let sawDone = false;
      let drainTimer: ReturnType<typeof setTimeout> | undefined;
      try {
        for (;;) {
          let read: Awaited<ReturnType<typeof reader.read>>;
          try {
            read = await reader.read();
          } catch (cause) {
            // Cut after [DONE] by the drain timeout: the answer is complete anyway.
            if (sawDone && !signal.aborted) break;
            throw interruption() ?? error('server', `the stream from ${backend} broke: ${describeFetchError(cause)}`);
          }
          if (read.done) break;
          parser.feed(decoder.decode(read.value, { stream: true }));
          if (overflow) throw error('server', `an event from ${backend} exceeds ${MAX_EVENT_CHARS} characters`);
          if (sawDone) {
            pending.length = 0;
            continue;
          }
          for (const data of pending.splice(0)) {
            // The consumer may have aborted while we were suspended at a yield.
            if (signal.aborted) throw error('aborted', 'the request was aborted');
            if (ttftTimer) {
              clearTimeout(ttftTimer);
              ttftTimer = undefined;
            }
            const reading = readChunk(data);
            if (reading.kind === 'done') {
              sawDone = true;
              // Keep reading to the end of the body (normally immediate) so keep-alive can reuse the socket.
              drainTimer = setTimeout(() => controller.abort(), this.options.drainTimeoutMs ?? 2000);
              break;
            }
            if (reading.kind === 'error') throw streamError(backend, reading.error, beforeFirstToken);
            if (reading.kind === 'malformed')
              throw error('server', `malformed stream from ${backend}: ${reading.reason}`);
            if (reading.usage) usage = reading.usage;
            if (reading.finishReason) finishReason = reading.finishReason;
            if (reading.text || reading.reasoning) {
              beforeFirstToken = false;
              yield reading.reasoning
                ? { type: 'delta', text: reading.text, reasoning: reading.reasoning }
                : { type: 'delta', text: reading.text };
            }
          }
        }
      } finally {
        if (drainTimer) clearTimeout(drainTimer);
      }
      if (signal.aborted) throw error('aborted', 'the request was aborted');
      if (!sawDone) throw interruption() ?? error('server', `the stream from ${backend} ended without [DONE]`);
      if (!finishReason) throw error('server', `the stream from ${backend} ended without a finish reason`);
      yield usage ? { type: 'end', finishReason, usage } : { type: 'end', finishReason };
    } finally {
      if (ttftTimer) clearTimeout(ttftTimer);
      signal.removeEventListener('abort', onAbort);
      // No-op after a fully read body; otherwise (consumer stopped early) it closes the connection.
      controller.abort();
    }
  }

  private headers(request: InferenceRequest): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-request-id': request.requestId,
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      ...this.options.headers,
    };
  }

  private body(request: InferenceRequest, model: string | undefined): Record<string, unknown> {
    return {
      ...(model !== undefined ? { model } : {}),
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      // vLLM refuses a non-zero priority unless it runs --scheduling-policy priority; 0 is its default.
      ...(request.priority ? { priority: request.priority } : {}),
    };
  }

  /** The server's first model (cached once found); undefined lets the server pick its default. */
  private discoverModel(signal: AbortSignal): Promise<string | undefined> {
    this.discovered ??= (async () => {
      try {
        const response = await this.fetchImpl(this.modelsEndpoint, {
          headers: this.headers({ requestId: 'models', messages: [], maxTokens: 1 }),
          signal,
        });
        if (!response.ok) return undefined;
        const body = (await response.json()) as { data?: { id?: unknown }[] };
        const id = body.data?.[0]?.id;
        return typeof id === 'string' ? id : undefined;
      } catch {
        return undefined;
      }
    })().then((model) => {
      // Only a success is cached; a failure is retried by the next request.
      if (model === undefined) this.discovered = undefined;
      return model;
    });
    return this.discovered;
  }
}

/**
 * `OpenAIBackend`: streams chat completions from vLLM's OpenAI-compatible API (or any compatible server) over
 * node:http(s) with a keep-alive agent of its own and no connection cap (http-post.ts says why not fetch), or
 * over a `fetch` given in the options.
 *
 * Request: `POST {baseURL}/chat/completions` with `stream: true`, `stream_options.include_usage` (so usage
 * always arrives, for token accounting), `X-Request-Id`, `traceparent`/`tracestate` when the request is traced, `priority` only when non-zero, `seed` when set.
 *
 * Stream: parsed with eventsource-parser. Deltas may hold several tokens (never count chunks as tokens): the
 * chunks that arrive in one read of the body are passed on as one delta, which costs the bridge one pass
 * through its generators per read rather than per token when a server is ahead of it; both
 * `delta.reasoning` and the legacy `delta.reasoning_content` surface as `reasoning`; the final chunk's text is
 * kept; `delta.tool_calls` entries surface as `toolCalls` (openai-tool-calls.ts); the `end` event is emitted at `[DONE]` with the finish reason and usage. An error object inside the 200
 * stream, a malformed line, or a body that ends without `[DONE]` are errors.
 */
import type { TraceContext } from '@locallightchat/broker';
import type { Agent as HttpAgent } from 'node:http';
import type {
  BackendFinishReason,
  InferenceBackend,
  InferenceEvent,
  InferenceRequest,
  ToolCallDelta,
  Usage,
} from '../backend.js';
import { httpGetJson, httpPost, keepAliveAgent, type HttpAnswer } from './http-post.js';
import { withDefaults } from '../options.js';
import { openGuardedExchange, type StreamExchange } from './first-token-guard.js';
import { ChunkReader } from './openai-chunks.js';
import { describeFetchError, httpError, streamError } from './openai-errors.js';
import { chatCompletionBody } from './openai-wire.js';
import { SseDataReader, SseEventTooLargeError } from './sse-data.js';

/** Settings of an {@link OpenAIBackend}; defaults in {@link DEFAULT_OPENAI_BACKEND_OPTIONS}. */
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
  /** After `[DONE]`, how long to wait for the body to end so the connection can be reused, ms. */
  drainTimeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * A fetch implementation to use instead of the built-in node:http transport (e.g. one bound to a dedicated
   * undici Agent, or a test double). Default: none, node:http.
   */
  fetch?: typeof globalThis.fetch;
}

/** The defaults of {@link OpenAIBackendOptions} (`name` defaults to the base URL's `host:port`). */
export const DEFAULT_OPENAI_BACKEND_OPTIONS: Required<Pick<OpenAIBackendOptions, 'drainTimeoutMs' | 'headers'>> = {
  drainTimeoutMs: 2000,
  headers: {},
};

/** `options` over {@link DEFAULT_OPENAI_BACKEND_OPTIONS}; a RangeError for a negative drain timeout. */
export function resolveOpenAIBackendOptions(
  options: OpenAIBackendOptions,
): OpenAIBackendOptions & typeof DEFAULT_OPENAI_BACKEND_OPTIONS {
  const resolved = withDefaults(DEFAULT_OPENAI_BACKEND_OPTIONS, options);
  if (!(resolved.drainTimeoutMs >= 0))
    throw new RangeError(`drainTimeoutMs must be ≥ 0, got ${resolved.drainTimeoutMs}`);
  return resolved;
}

/** Longest error body read (a misconfigured proxy can answer with megabytes of HTML). */
const MAX_ERROR_BODY_CHARS = 16_384;
/** Longest single SSE event accepted (a delta is normally a few bytes; a coalesced one a few KiB). */
const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/** The InferenceBackend over an OpenAI-compatible server's streaming chat completions (vLLM first; see above). */
export class OpenAIBackend implements InferenceBackend {
  readonly name: string;
  private readonly endpoint: string;
  private readonly modelsEndpoint: string;
  private readonly options: OpenAIBackendOptions & typeof DEFAULT_OPENAI_BACKEND_OPTIONS;
  private discovered?: Promise<string | undefined>;
  /** The built-in transport's keep-alive agent (unused when a `fetch` is given). */
  private readonly agent: HttpAgent;
  private readonly endpointUrl: URL;

  constructor(options: OpenAIBackendOptions) {
    this.options = resolveOpenAIBackendOptions(options);
    const base = new URL(options.baseURL.endsWith('/') ? options.baseURL : `${options.baseURL}/`);
    this.name = options.name ?? base.host;
    this.endpointUrl = new URL('chat/completions', base);
    this.endpoint = this.endpointUrl.toString();
    this.modelsEndpoint = new URL('models', base).toString();
    this.agent = keepAliveAgent(base);
  }

  stream(request: InferenceRequest, signal: AbortSignal): AsyncGenerator<InferenceEvent, void, undefined> {
    return this.exchange(request, signal);
  }

  /** Sends the request: the body of a 200 answer; anything else thrown as a classified InferenceError. */
  private async post(
    request: InferenceRequest,
    model: string | undefined,
    exchange: StreamExchange,
  ): Promise<ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>> {
    const backend = this.name;
    let response: Pick<HttpAnswer, 'status' | 'text'> & {
      header(name: string): string | null;
      body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
    };
    const body = JSON.stringify(chatCompletionBody(request, model));
    try {
      const fetch = this.options.fetch;
      if (fetch) {
        const answer = await fetch(this.endpoint, {
          method: 'POST',
          headers: this.headers(request),
          body,
          signal: exchange.signal,
        });
        response = {
          status: answer.status,
          header: (name) => answer.headers.get(name),
          body: answer.body,
          text: () => answer.text(),
        };
      } else {
        response = await httpPost(this.endpointUrl, this.agent, this.headers(request), body, exchange.signal);
      }
    } catch (cause) {
      throw (
        exchange.interruption() ?? exchange.error('connect', `cannot reach ${backend}: ${describeFetchError(cause)}`)
      );
    }
    if (response.status < 200 || response.status > 299) {
      let text = '';
      try {
        text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
      } catch {
        const cut = exchange.interruption();
        if (cut) throw cut;
      }
      throw httpError(backend, response.status, text, response.header('retry-after'));
    }
    if (!response.body) throw exchange.error('server', `${backend} answered 200 without a body`);
    return response.body;
  }

  /**
   * One exchange: picks the model, sends the request, then passes on the events of its 200 stream — a delta for
   * what each read of the body held, then `end` at `[DONE]` after reading the body to its end (normally
   * immediate), so keep-alive can reuse the connection. One generator for all of it, the first-token guard's
   * rules applied around its own yields (openGuardedExchange): a second generator around it, or a `yield*`
   * into one, costs each delta another generator hop.
   */
  private async *exchange(
    request: InferenceRequest,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceEvent, void, undefined> {
    const exchange = openGuardedExchange({ signal, ttftMs: this.options.ttftTimeoutMs, backend: this.name });
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      const model =
        this.options.model ?? request.model ?? this.options.defaultModel ?? (await this.discoverModel(exchange.signal));
      const sse = new SseDataReader(await this.post(request, model, exchange), MAX_EVENT_CHARS);
      const chunks = new ChunkReader();
      const backend = this.name;
      let finishReason: BackendFinishReason | undefined;
      let usage: Usage | undefined;
      let sawDone = false;
      for (;;) {
        let batch: string[] | undefined;
        try {
          batch = await sse.next();
        } catch (cause) {
          if (cause instanceof SseEventTooLargeError)
            throw exchange.error('server', `an event from ${backend} exceeds ${cause.maxEventChars} characters`);
          // Cut after [DONE] by the drain timeout: the answer is complete anyway.
          if (sawDone && !signal.aborted) break;
          throw (
            exchange.interruption() ??
            exchange.error('server', `the stream from ${backend} broke: ${describeFetchError(cause)}`)
          );
        }
        if (!batch) break;
        if (sawDone) continue;
        // The chunks of this read, passed on as one delta (see the module note).
        let text = '';
        let reasoning = '';
        let toolCalls: ToolCallDelta[] | undefined;
        for (const data of batch) {
          // The consumer may have aborted while we were suspended at a yield.
          exchange.throwIfAborted();
          exchange.stopFirstTokenTimer();
          const reading = chunks.read(data);
          if (reading.kind === 'done') {
            sawDone = true;
            drainTimer = setTimeout(() => exchange.end(), this.options.drainTimeoutMs);
            break;
          }
          if (reading.kind === 'error' || reading.kind === 'malformed') {
            // What came before the failure goes out first, as it would have one chunk per read.
            const held = deltaOf(text, reasoning, toolCalls);
            if (held) {
              text = reasoning = '';
              toolCalls = undefined;
              exchange.beforePassing(held);
              yield held;
              exchange.afterPassing(held);
            }
            if (reading.kind === 'error') throw streamError(backend, reading.error, exchange.beforeFirstToken);
            throw exchange.error('server', `malformed stream from ${backend}: ${reading.reason}`);
          }
          if (reading.usage) usage = reading.usage;
          if (reading.finishReason) finishReason = reading.finishReason;
          text += reading.text;
          reasoning += reading.reasoning;
          if (reading.toolCalls.length > 0)
            toolCalls = toolCalls ? toolCalls.concat(reading.toolCalls) : reading.toolCalls;
        }
        const delta = deltaOf(text, reasoning, toolCalls);
        if (delta) {
          exchange.beforePassing(delta);
          yield delta;
          exchange.afterPassing(delta);
        }
      }
      // The body is over: its drain timer is no longer needed (the finally below clears it on a throw).
      clearTimeout(drainTimer);
      exchange.throwIfAborted();
      if (!sawDone)
        throw exchange.interruption() ?? exchange.error('server', `the stream from ${backend} ended without [DONE]`);
      if (!finishReason) throw exchange.error('server', `the stream from ${backend} ended without a finish reason`);
      const end: InferenceEvent = usage ? { type: 'end', finishReason, usage } : { type: 'end', finishReason };
      exchange.beforePassing(end);
      yield end;
    } finally {
      clearTimeout(drainTimer);
      exchange.close();
    }
  }

  private headers(request: InferenceRequest): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-request-id': request.requestId,
      ...(request.traceContext ? traceHeaders(request.traceContext) : {}),
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      ...this.options.headers,
    };
  }

  /** The server's first model (cached once found); undefined lets the server pick its default. */
  private discoverModel(signal: AbortSignal): Promise<string | undefined> {
    this.discovered ??= (async () => {
      try {
        const headers = this.headers({ requestId: 'models', messages: [], maxTokens: 1 });
        let body: { data?: { id?: unknown }[] } | undefined;
        const fetch = this.options.fetch;
        if (fetch) {
          const response = await fetch(this.modelsEndpoint, { headers, signal });
          if (!response.ok) return undefined;
          body = (await response.json()) as typeof body;
        } else {
          body = (await httpGetJson(new URL(this.modelsEndpoint), this.agent, headers, signal)) as typeof body;
        }
        const id = body?.data?.[0]?.id;
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

/** One delta of what a read held, or undefined when it held nothing to pass on. */
function deltaOf(
  text: string,
  reasoning: string,
  toolCalls: ToolCallDelta[] | undefined,
): Extract<InferenceEvent, { type: 'delta' }> | undefined {
  if (!text && !reasoning && !toolCalls) return undefined;
  const delta: Extract<InferenceEvent, { type: 'delta' }> = { type: 'delta', text };
  if (reasoning) delta.reasoning = reasoning;
  if (toolCalls) delta.toolCalls = toolCalls;
  return delta;
}

/** The W3C trace-context headers of a traced request. */
function traceHeaders(context: TraceContext): Record<string, string> {
  return context.tracestate
    ? { traceparent: context.traceparent, tracestate: context.tracestate }
    : { traceparent: context.traceparent };
}

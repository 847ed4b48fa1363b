/**
 * The InferenceBackend port: something that streams a chat completion. Two adapters implement it and pass one
 * conformance suite — `OpenAIBackend` (HTTP, vLLM's OpenAI-compatible API or any compatible server) and
 * `SimulatorBackend` (the simulator's engine in-process, no HTTP).
 */
import type { InferenceMessage } from './attachments/content-parts.js';
import type { TraceContext } from '@locallightchat/broker';

/** One chat completion to generate, as the bridge hands it to a backend. */
export interface InferenceRequest {
  /** Sent as `X-Request-Id`; vLLM uses it in the completion id. */
  requestId: string;
  /** Model name; absent = the backend's default model. */
  model?: string;
  /** The prompt; a user turn with attachments carries them as content `parts` (see attachments/content-parts.ts). */
  messages: InferenceMessage[];
  maxTokens: number;
  temperature?: number;
  /** vLLM priority (lower runs first); only sent when not 0. */
  priority?: number;
  /** Seed for deterministic sampling (the simulator's text is a function of seed and prompt). */
  seed?: number;
  /** A routing hint: requests with the same key (the bridge uses the conversation id) may share a replica. */
  affinityKey?: string;
  /** Tools the model may call (sent as `tools`). */
  tools?: ToolDefinition[];
  /** Sent as `tool_choice` (with `tools` only). */
  toolChoice?: ToolChoice;
  /** W3C trace context of the bridge's span of this attempt, sent as the `traceparent`/`tracestate` headers. */
  traceContext?: TraceContext;
}

/**
 * A tool the model may call, in OpenAI's shape (`{ type: 'function', function: { name, description?,
 * parameters? } }`): sent to vLLM as is.
 */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** OpenAI's `tool_choice`: `auto`, `none`, `required`, or one named function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** One streamed `delta.tool_calls` entry, normalised (see openai-tool-calls.ts). */
export interface ToolCallDelta {
  /** The call's position in this turn (0, 1, …): fragments of one call share it. */
  index: number;
  /** Set on the call's first entry (vLLM: `chatcmpl-tool-<hex>`). */
  id?: string;
  /** Set on the call's first entry. */
  name?: string;
  /** A fragment of the arguments' JSON text. */
  arguments?: string;
}

/** Why generation finished, as vLLM reports it. */
export type BackendFinishReason = 'stop' | 'length' | 'tool_calls' | 'abort';

/** Tokens a completion consumed, as the server counted them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** What a backend's stream yields: deltas, then one `end` (errors are thrown as {@link InferenceError}). */
export type InferenceEvent =
  /** Generated text; one delta may hold several tokens. `text` may be '' when only reasoning arrived. */
  | { type: 'delta'; text: string; reasoning?: string; toolCalls?: ToolCallDelta[] }
  /** Last event of a successful stream (emitted at `[DONE]`); usage when the server sent it. */
  | { type: 'end'; finishReason: BackendFinishReason; usage?: Usage };

/** What went wrong, classified so the bridge can choose: fail over, tell the user, or both. */
export type InferenceErrorKind =
  /** Could not connect / connection reset before any response. Fail over. */
  | 'connect'
  /** 429 or 503: the backend is overloaded or throttling. Fail over, cool the backend down. */
  | 'overloaded'
  /** No first token within the TTFT timeout. Fail over. */
  | 'timeout'
  /** 400: prompt + max_tokens exceed the context window. Tell the user; no failover. */
  | 'context-too-long'
  /** 404: unknown model. Tell the user (another backend might serve it). */
  | 'model-not-found'
  /** Other 4xx: the request itself is wrong. Tell the user. */
  | 'bad-request'
  /** An error object inside a 200 stream, a malformed stream, or a 5xx. */
  | 'server'
  /** The caller aborted (user stop). */
  | 'aborted';

/** A backend failure, classified by `kind` so the bridge can fail over, tell the user, or both. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    readonly kind: InferenceErrorKind,
    message: string,
    readonly details: {
      /** HTTP status, when there was one. */
      status?: number;
      /** True when no delta had been produced yet (failover is still invisible to the user). */
      beforeFirstToken?: boolean;
      /** Server-suggested wait (Retry-After), in ms. */
      retryAfterMs?: number;
      /** Backend name, for logs and metrics. */
      backend?: string;
    } = {},
  ) {
    super(message);
  }

  /** Whether trying another backend could succeed. */
  get failoverable(): boolean {
    return this.kind === 'connect' || this.kind === 'overloaded' || this.kind === 'timeout' || this.kind === 'server';
  }
}

/** The port: something that streams a chat completion (see the module note). */
export interface InferenceBackend {
  /** Stable name for logs and metrics labels (e.g. the base URL's host:port). */
  readonly name: string;
  /**
   * Streams one completion. Pre-stream failures throw {@link InferenceError} from the first `next()`;
   * failures mid-stream throw it from a later `next()`. Aborting `signal` closes the request (for vLLM, the
   * HTTP connection, which aborts the sequence on the GPU) and ends iteration with an `aborted` error.
   */
  stream(request: InferenceRequest, signal: AbortSignal): AsyncIterable<InferenceEvent>;
}

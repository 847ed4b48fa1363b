/**
 * vLLM's error responses, with its status codes, `type` names, `param` values and wording, so that clients
 * classify the simulator's errors exactly as they would classify vLLM's.
 *
 * Before the stream: a JSON body `{"error":{"message","type","param","code"}}` with the real status (compact
 * JSON, as FastAPI writes it). Inside a 200 stream: one data line written with Python's `json.dumps`, i.e. with
 * `", "` and `": "` separators and non-ASCII escaped — then `data: [DONE]`.
 */

export class SimApiError extends Error {
  override readonly name = 'SimApiError';
  constructor(
    readonly status: number,
    message: string,
    /** vLLM's error type: `BadRequestError`, `NotFoundError`, `InternalServerError`, `Bad Request` … */
    readonly type: string,
    readonly param: string | null = null,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** Body of a pre-stream error response. */
  toJson(): string {
    return JSON.stringify({ error: { message: this.message, type: this.type, param: this.param, code: this.status } });
  }

  /** The `data:` event of an error inside a 200 stream (without the trailing `[DONE]`). */
  toSseEvent(): string {
    const inner = pythonJsonObject([
      ['message', this.message],
      ['type', this.type],
      ['param', this.param],
      ['code', this.status],
    ]);
    return `data: {"error": ${inner}}\n\n`;
  }
}

/** Python `json.dumps` of a flat object: spaced separators, `ensure_ascii` escaping. */
function pythonJsonObject(entries: [string, string | number | null][]): string {
  const value = (v: string | number | null) => (typeof v === 'string' ? asciiJson(v) : JSON.stringify(v));
  return `{${entries.map(([k, v]) => `${asciiJson(k)}: ${value(v)}`).join(', ')}}`;
}

function asciiJson(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** vLLM's error answers, with its statuses and wording, one factory per case. */
export const ApiErrors = {
  /** Prompt alone reaches the context window (vLLM `_validate_input`). */
  contextTooLong(maxModelLen: number, promptTokens: number): SimApiError {
    return new SimApiError(
      400,
      `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} input tokens. Please reduce the length of the input messages.`,
      'BadRequestError',
      'input_tokens',
    );
  },

  /** Prompt fits, but prompt + max_tokens does not. */
  maxTokensTooLarge(maxTokens: number, maxModelLen: number, promptTokens: number): SimApiError {
    return new SimApiError(
      400,
      `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxModelLen} tokens and your request has ${promptTokens} input tokens (${maxTokens} > ${maxModelLen} - ${promptTokens}).`,
      'BadRequestError',
      'max_tokens',
    );
  },

  modelNotFound(model: string): SimApiError {
    return new SimApiError(404, `The model \`${model}\` does not exist.`, 'NotFoundError', 'model');
  },

  /** Request body validation (pydantic in vLLM): type `Bad Request`. */
  validation(message: string, param: string | null = null): SimApiError {
    return new SimApiError(400, message, 'Bad Request', param);
  },

  /** A ValueError raised while serving (e.g. priority without the priority policy): type `BadRequestError`. */
  badRequest(message: string, param: string | null = null): SimApiError {
    return new SimApiError(400, message, 'BadRequestError', param);
  },

  priorityNotEnabled(priority: number): SimApiError {
    return new SimApiError(400, `Got priority ${priority} but Priority scheduling is not enabled.`, 'BadRequestError');
  },

  /** `--max-num-queued-reqs` exceeded (newer vLLM builds), or an injected 503. */
  overloaded(message: string, retryAfterSeconds = 0): SimApiError {
    return new SimApiError(503, message, 'ServiceUnavailableError', null, retryAfter(retryAfterSeconds));
  },

  /** An injected 429, as a rate-limiting proxy in front of vLLM would answer. */
  rateLimited(retryAfterSeconds = 0): SimApiError {
    return new SimApiError(
      429,
      'Too many requests (injected by llc-vllm-sim).',
      'RateLimitError',
      null,
      retryAfter(retryAfterSeconds),
    );
  },

  engineDead(): SimApiError {
    return new SimApiError(
      500,
      'EngineCore encountered an issue. See stack trace (above) for the root cause.',
      'InternalServerError',
    );
  },

  /** Generation failed mid-stream (injected). */
  internal(message = 'Internal server error'): SimApiError {
    return new SimApiError(500, message, 'InternalServerError');
  },
};

function retryAfter(seconds: number): Record<string, string> {
  return seconds > 0 ? { 'retry-after': String(seconds) } : {};
}

/**
 * Classifying what an OpenAI-compatible server (vLLM first) answers into {@link InferenceErrorKind}s.
 *
 * vLLM's `code` is an integer equal to the HTTP status, and its messages are the stable part: the status plus a
 * message pattern decides, never the `type` string alone (it changed between versions).
 */
import { InferenceError, type InferenceErrorKind } from '../backend.js';

/** Both wordings vLLM has used for "prompt + max_tokens does not fit the context window". */
const CONTEXT_TOO_LONG =
  /maximum context length|you requested \d+ tokens|context length is \d+|prompt is too long|too many (input )?tokens/i;

/** The error object of a response body or data line, in either of vLLM's shapes. */
export interface ServerErrorInfo {
  message: string;
  type?: string;
  param?: string | null;
  code?: number;
}

/**
 * Reads `{"error": {...}}` (vLLM ≥ 0.10.1, OpenAI) or the older flat `{"object": "error", "message": …}`,
 * plus FastAPI's `{"detail": …}`. Undefined when `value` is not an error object.
 */
export function readErrorObject(value: unknown): ServerErrorInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const inner =
    typeof v.error === 'object' && v.error !== null
      ? (v.error as Record<string, unknown>)
      : v.object === 'error'
        ? v
        : undefined;
  if (inner) {
    const code =
      typeof inner.code === 'number'
        ? inner.code
        : typeof inner.code === 'string' && /^\d{3}$/.test(inner.code)
          ? Number(inner.code)
          : undefined;
    return {
      message: typeof inner.message === 'string' ? inner.message : 'unknown error',
      ...(typeof inner.type === 'string' ? { type: inner.type } : {}),
      ...(typeof inner.param === 'string' || inner.param === null ? { param: inner.param } : {}),
      ...(code !== undefined ? { code } : {}),
    };
  }
  if (typeof v.error === 'string') return { message: v.error };
  if (typeof v.detail === 'string') return { message: v.detail };
  return undefined;
}

/** The kind for an HTTP status (and message, for 400s). */
export function kindForStatus(status: number, message: string): InferenceErrorKind {
  if (status === 429 || status === 503) return 'overloaded';
  if (status === 400 || status === 413 || status === 422)
    return CONTEXT_TOO_LONG.test(message) ? 'context-too-long' : 'bad-request';
  if (status === 404) return 'model-not-found';
  if (status >= 400 && status < 500) return 'bad-request';
  return 'server';
}

/** Retry-After: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An error for a non-2xx response, from its status, headers and (bounded) body text. */
export function httpError(
  backend: string,
  status: number,
  bodyText: string,
  retryAfterHeader: string | null,
): InferenceError {
  let info: ServerErrorInfo | undefined;
  try {
    info = readErrorObject(JSON.parse(bodyText));
  } catch {
    info = undefined;
  }
  const message = info?.message ?? (bodyText.trim().slice(0, 300) || `HTTP ${status}`);
  const kind = kindForStatus(status, message);
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  return new InferenceError(kind, message, {
    status,
    backend,
    beforeFirstToken: true,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * An error object that arrived inside a 200 stream. Its `code` says what failed: vLLM reports generation
 * failures as 500 but some validation (older versions: context length) only inside the stream as 400.
 */
export function streamError(backend: string, info: ServerErrorInfo, beforeFirstToken: boolean): InferenceError {
  const status = info.code;
  const kind: InferenceErrorKind =
    status !== undefined && status >= 400 && status < 500 ? kindForStatus(status, info.message) : 'server';
  return new InferenceError(kind, info.message, {
    backend,
    beforeFirstToken,
    ...(status !== undefined ? { status } : {}),
  });
}

/** Readable cause of a fetch failure (undici wraps the socket error in `cause`). */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}

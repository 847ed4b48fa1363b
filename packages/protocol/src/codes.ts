/**
 * Error codes carried by `error` frames and by failed streams, and WebSocket close codes.
 *
 * Codes are strings so that logs and metrics labels read well; each has a fixed meaning and a `retryable`
 * flag so that a client knows, without parsing messages, whether repeating the same request can succeed.
 */

export const ERROR_CODES = {
  /** The frame could not be decoded or failed validation. The connection stays open. */
  'bad-frame': { retryable: false },
  /** The frame is larger than the negotiated limit. */
  'frame-too-large': { retryable: false },
  /** The peer speaks a protocol version this side does not. */
  'unsupported-version': { retryable: false },
  /** A frame other than `hello` arrived before the handshake. */
  'not-ready': { retryable: true },
  /** The credentials are missing, malformed or not valid. */
  unauthorized: { retryable: false },
  /** The credentials expired; refresh and retry. */
  'token-expired': { retryable: true },
  /** The user may not touch this conversation or stream. */
  forbidden: { retryable: false },
  /** The conversation, stream or message does not exist (any more). */
  'not-found': { retryable: false },
  /** The user's token budget or request rate is exhausted; see `retryAfterMs`. */
  'rate-limited': { retryable: true },
  /** The connection sends frames faster than allowed. */
  'too-many-frames': { retryable: true },
  /** The user message is longer than allowed. */
  'message-too-long': { retryable: false },
  /** The prompt plus `maxTokens` exceed the model's context window. */
  'context-too-long': { retryable: false },
  /** The requested model is not served. */
  'model-not-found': { retryable: false },
  /** Every inference backend is busy; try later. */
  overloaded: { retryable: true },
  /** No inference backend could be reached. */
  'backend-unavailable': { retryable: true },
  /** The message broker is unreachable; the request was not accepted. */
  'broker-unavailable': { retryable: true },
  /** Generation failed after it started; the partial answer is kept and the user may regenerate. */
  'stream-failed': { retryable: true },
  /** The stream's tokens are no longer retained, so a resume cannot be served. */
  'resume-unavailable': { retryable: false },
  /** The connection could not keep up; it will be closed with a resumable code. */
  'slow-consumer': { retryable: true },
  /**
   * A per-user quota of the store is used up (conversations owned, bytes or messages stored): nothing was
   * stored; repeating the same request fails until the user frees room.
   */
  'quota-exceeded': { retryable: false },
  /** An unexpected failure on the server; reported, logged and counted. */
  internal: { retryable: true },
  /**
   * A message of tool results names a call the previous answer did not make (or answers one twice): nothing was
   * stored or sent to the model.
   */
  'unknown-tool-call': { retryable: false },
  /**
   * What a code this side does not know reads as (a newer peer sent it, e.g. during a rolling deploy): the frame
   * is kept, its message shown, and nothing is retried on the strength of a flag this side cannot know.
   */
  'unknown-error': { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CODES[code].retryable;
}

/**
 * WebSocket close codes. 1000/1001 are standard; 4xxx are ours. A client reconnects (with backoff) after every
 * code except those in {@link FATAL_CLOSE_CODES}, and resumes each open stream from its last sequence number.
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** Handshake credentials rejected: reconnecting with the same token is pointless. */
  Unauthorized: 4001,
  /** The protocol version is not supported. */
  UnsupportedVersion: 4002,
  /** Too many protocol violations on this connection. */
  ProtocolViolation: 4003,
  /** The outbound queue exceeded its hard bound; reconnect and resume from the last seq. */
  SlowConsumer: 4008,
  /** The server is draining (deploy or scale-in); reconnect after the hinted delay. */
  Draining: 4009,
  /** No traffic within the heartbeat window. */
  HeartbeatTimeout: 4010,
  /** The user holds or opened too many connections (per-user limits); reconnect after a backoff. */
  TooManyConnections: 4029,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which the client must not reconnect without new input (a new token, a new version). */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.Unauthorized, CloseCode.UnsupportedVersion]);

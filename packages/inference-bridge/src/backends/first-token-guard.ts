/**
 * What every InferenceBackend's `stream` does besides speaking its wire: honour the caller's abort, give up when
 * no first token comes in time, and make errors that know whether a token already went out (the bridge fails
 * over only before the first one). A backend hands {@link guardFirstToken} a producer of events; the guard
 * gives the producer one {@link StreamExchange} to end its request on and to build its errors with, and checks
 * the caller's signal around every event it passes on. Both adapters (`OpenAIBackend` and the simulator's
 * `SimulatorBackend`) use it, so the conformance suite's rules on abort and timeout hold for both by
 * construction.
 */
import { InferenceError, type InferenceErrorKind, type InferenceEvent } from '../backend.js';

/** Settings of {@link guardFirstToken}. */
export interface FirstTokenGuardOptions {
  /** The caller's signal (a user's stop). */
  signal: AbortSignal;
  /** No event within this many ms after the start → a `timeout` error; undefined or ≤ 0 = no timeout. */
  ttftMs?: number | undefined;
  /** The backend's name, carried by every error. */
  backend: string;
}

/** What a backend may add to an error built by {@link StreamExchange.error}. */
export interface ExchangeErrorDetails {
  /** HTTP status, when there was one. */
  status?: number;
  /** Server-suggested wait, ms. */
  retryAfterMs?: number;
}

/** One stream's view of the guard, handed to the backend's producer. */
export interface StreamExchange {
  /**
   * Aborted when the caller aborts, when the first-token timeout fires, and when the stream is over (including
   * a consumer that stops early): the backend ends its request on it (for vLLM, closing the HTTP connection is
   * what aborts the sequence on the GPU).
   */
  readonly signal: AbortSignal;
  /** True until a delta has been passed on to the consumer. */
  readonly beforeFirstToken: boolean;
  /** An {@link InferenceError} carrying the backend's name and whether a delta went out yet. */
  error(kind: InferenceErrorKind, message: string, details?: ExchangeErrorDetails): InferenceError;
  /**
   * When the exchange was cut short on purpose — the caller aborted, or no first token came in time — the error
   * that says so (use it where a cut connection surfaces as a network error); else undefined.
   */
  interruption(): InferenceError | undefined;
  /** Throws the `aborted` error when the caller has aborted. */
  throwIfAborted(): void;
  /**
   * The server has started answering, so the first-token timeout no longer applies. Passing an event on does
   * this too; a backend that sees data before it has an event (an SSE line without text) calls it then.
   */
  stopFirstTokenTimer(): void;
  /** Aborts `signal` without it counting as an interruption (e.g. to stop draining a body after the last event). */
  end(): void;
}

/**
 * Runs `produce` under the guard and passes its events on. Throws `aborted` at once for an already aborted
 * signal; throws `aborted` instead of passing on any event after the caller aborted, including while the
 * consumer held a delta; stops the first-token timer at the first event; and, however the stream ends, clears
 * the timer and aborts the exchange's signal (so the producer's request is closed).
 */
export async function* guardFirstToken(
  produce: (exchange: StreamExchange) => AsyncIterable<InferenceEvent>,
  options: FirstTokenGuardOptions,
): AsyncGenerator<InferenceEvent, void, undefined> {
  const exchange = openGuardedExchange(options);
  try {
    for await (const event of produce(exchange)) {
      exchange.beforePassing(event);
      yield event;
      exchange.afterPassing(event);
    }
  } finally {
    exchange.close();
  }
}

/**
 * The guard's exchange for a producer that is itself the stream's generator (`OpenAIBackend`): the same rules
 * as {@link guardFirstToken}, applied by the producer around each of its own `yield`s, which saves every event
 * the hop through the guard's generator (bench/bridge/backend-read.mjs). Throws `aborted` for an aborted signal.
 */
export interface GuardedExchange extends StreamExchange {
  /** Before passing `event` on: throws `aborted` after the caller aborted; stops the first-token timer. */
  beforePassing(event: InferenceEvent): void;
  /** After the consumer took `event`: a delta the consumer aborted on lets nothing more go out. */
  afterPassing(event: InferenceEvent): void;
  /** However the stream ends: clears the timer and aborts the exchange's signal (closing the request). */
  close(): void;
}

/** Starts a {@link GuardedExchange} (its first-token timer runs from now). */
export function openGuardedExchange(options: FirstTokenGuardOptions): GuardedExchange {
  const exchange = new Exchange(options);
  if (options.signal.aborted) throw exchange.error('aborted', 'the request was aborted before it was sent');
  exchange.start();
  return exchange;
}

/**
 * The reason the exchange's signal is aborted with when the stream is over: one shared object, because
 * `abort()` without a reason builds a DOMException with a stack trace for every stream (1.2 % of the bridge's
 * CPU at 5,000 streams, bench/bridge --profile). Nothing reads it: the consumer has gone by then.
 */
const STREAM_OVER = new Error('the stream is over');

class Exchange implements GuardedExchange {
  beforeFirstToken = true;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  /**
   * The caller's signal aborted (set by its listener, from start()): read twice per event, and the signal's
   * own `aborted` getter (a brand check in Node) was 3.7 % of the read path's CPU at 5,000 streams.
   */
  private callerAborted = false;
  private readonly onCallerAbort = () => {
    this.callerAborted = true;
    this.controller.abort();
  };

  constructor(private readonly options: FirstTokenGuardOptions) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.options.signal.addEventListener('abort', this.onCallerAbort, { once: true });
    const ttftMs = this.options.ttftMs;
    if (ttftMs !== undefined && ttftMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, ttftMs);
    }
  }

  error(kind: InferenceErrorKind, message: string, details: ExchangeErrorDetails = {}): InferenceError {
    return new InferenceError(kind, message, {
      backend: this.options.backend,
      beforeFirstToken: this.beforeFirstToken,
      ...details,
    });
  }

  interruption(): InferenceError | undefined {
    if (this.callerAborted) return this.error('aborted', 'the request was aborted');
    if (this.timedOut)
      return this.error('timeout', `no first token from ${this.options.backend} within ${this.options.ttftMs} ms`);
    return undefined;
  }

  throwIfAborted(): void {
    if (this.callerAborted) throw this.error('aborted', 'the request was aborted');
  }

  beforePassing(event: InferenceEvent): void {
    this.throwIfAborted();
    this.stopFirstTokenTimer();
    if (event.type === 'delta') this.beforeFirstToken = false;
  }

  afterPassing(event: InferenceEvent): void {
    // The consumer may have aborted while it held the delta: nothing more goes out.
    if (event.type === 'delta') this.throwIfAborted();
  }

  stopFirstTokenTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  end(): void {
    this.controller.abort(STREAM_OVER);
  }

  close(): void {
    this.stopFirstTokenTimer();
    this.options.signal.removeEventListener('abort', this.onCallerAbort);
    this.controller.abort(STREAM_OVER);
  }
}

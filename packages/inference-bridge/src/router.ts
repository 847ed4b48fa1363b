/**
 * The Router port: which backend serves a request. The bridge asks `choose` (excluding backends that already
 * failed this request), reports the dispatch, and reports the first token and the outcome through the returned
 * {@link Dispatch} — which is what a load-aware router needs to keep in-flight counts exact and to cool failing
 * backends down. The optional members add admission control (see routing/admission-queue.ts); a router without
 * them sends every request at once.
 */
import type { InferenceBackend, InferenceRequest } from './backend.js';

/** How a dispatch ended: `ok` (answered or stopped by the user), `error` (the user saw it), `failover` (moved on). */
export type DispatchOutcome = 'ok' | 'error' | 'failover';

/** One request sent to one backend. */
export interface Dispatch {
  /** The first token arrived (the backend works; TTFT is known). At most once. */
  firstToken(): void;
  /** The request is over on this backend; call exactly once. */
  done(outcome: DispatchOutcome, error?: unknown): void;
}

/**
 * Whether a request can be sent now: `now` (choose will return a backend), `wait` (every usable backend is at
 * its target load or cooling down; ask again on the next capacity change), `none` (no backend is left).
 */
export type Availability = 'now' | 'wait' | 'none';

/** The port: picks a backend for each request and hears how each dispatch went (see the module note). */
export interface Router {
  choose(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined;
  /** Called when a request is sent to `backend`. */
  dispatched(backend: InferenceBackend): Dispatch;
  /** Admission control; absent = always `now` while `choose` finds a backend. */
  availability?(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): Availability;
  /** Where a request that waited too long may go instead (a cloud fallback), if anywhere. */
  overflow?(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined;
  /** Called whenever availability may have changed (a dispatch ended, a cooldown ran out, a scrape came in). */
  onCapacity?(listener: () => void): () => void;
  /** Stops background work (metric scrapes, timers). */
  close?(): void;
}

const NO_OP_DISPATCH: Dispatch = { firstToken: () => undefined, done: () => undefined };

/** Rotates through the backends; the simplest correct router (the embedded default with one backend). */
export class RoundRobinRouter implements Router {
  private next = 0;

  constructor(private readonly backends: readonly InferenceBackend[]) {}

  choose(_request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined {
    for (let i = 0; i < this.backends.length; i++) {
      const backend = this.backends[(this.next + i) % this.backends.length]!;
      if (!exclude.has(backend)) {
        this.next = (this.next + i + 1) % this.backends.length;
        return backend;
      }
    }
    return undefined;
  }

  dispatched(): Dispatch {
    return NO_OP_DISPATCH;
  }
}

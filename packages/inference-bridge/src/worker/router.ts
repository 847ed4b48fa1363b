/**
 * The Router port: which backend serves a request. The bridge asks `choose` (excluding backends that already
 * failed this request), reports the dispatch, and reports the outcome through the returned callback — which
 * is what a load-aware router needs to keep in-flight counts exact and to cool failing backends down.
 */
import type { InferenceBackend, InferenceRequest } from '../backend.js';

export type DispatchOutcome = 'ok' | 'error' | 'failover';

export interface Router {
  choose(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): InferenceBackend | undefined;
  /** Called when a request is sent to `backend`; call the result exactly once when it finishes. */
  dispatched(backend: InferenceBackend): (outcome: DispatchOutcome, error?: unknown) => void;
}

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

  dispatched(): (outcome: DispatchOutcome) => void {
    return () => undefined;
  }
}

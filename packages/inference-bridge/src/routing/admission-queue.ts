/**
 * Admission control in front of a Router: a request the router cannot place now (every replica at its target
 * load, or cooling down) waits here, ordered by priority (lower first, vLLM's convention) then arrival, and
 * learns its queue position. When capacity comes back (a dispatch ended, a scrape showed room, a cooldown ran
 * out) the queue is walked in order and every request that can go now is dispatched — synchronously, so each
 * dispatch is counted before the next request is placed. A request that waits longer than `maxWaitMs` goes to
 * the router's overflow backend (a cloud fallback) or fails as overloaded.
 *
 * Routers without `availability` (RoundRobinRouter) never queue.
 */
import { InferenceError, type InferenceBackend, type InferenceRequest } from '../backend.js';
import { withDefaults } from '../options.js';
import type { Dispatch, Router } from '../router.js';

/**
 * Settings of the bridge's admission queue (`BridgeOptions.admission`); defaults in
 * {@link DEFAULT_ADMISSION_QUEUE_OPTIONS}.
 */
export interface AdmissionQueueOptions {
  /** Longest wait before overflow or an `overloaded` error, ms (0 = never wait). */
  maxWaitMs?: number;
  /** Position changes are reported at most this often per request, ms. */
  positionUpdateMs?: number;
}

/** The defaults of {@link AdmissionQueueOptions}. */
export const DEFAULT_ADMISSION_QUEUE_OPTIONS: Required<AdmissionQueueOptions> = {
  maxWaitMs: 30_000,
  positionUpdateMs: 250,
};

/** `options` over {@link DEFAULT_ADMISSION_QUEUE_OPTIONS}; a RangeError for a negative wait. */
export function resolveAdmissionQueueOptions(options: AdmissionQueueOptions = {}): Required<AdmissionQueueOptions> {
  const resolved = withDefaults(DEFAULT_ADMISSION_QUEUE_OPTIONS, options);
  if (!(resolved.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, got ${resolved.maxWaitMs}`);
  return resolved;
}

/** A request placed on a backend. */
export interface Lease {
  backend: InferenceBackend;
  dispatch: Dispatch;
}

/** How one request waits in `AdmissionQueue.acquire`. */
export interface AcquireOptions {
  signal: AbortSignal;
  /** Told the request's queue position (1 = next) when it starts waiting and when the position changes. */
  onPosition?: (position: number) => void;
}

interface Waiter {
  request: InferenceRequest;
  exclude: ReadonlySet<InferenceBackend>;
  priority: number;
  order: number;
  reported: number;
  options: AcquireOptions;
  settle: (lease: Lease | undefined, error?: Error) => void;
}

/** The bridge's priority queue in front of its Router (see the module note). */
export class AdmissionQueue {
  private readonly waiting: Waiter[] = [];
  private readonly maxWaitMs: number;
  private readonly positionUpdateMs: number;
  private arrivals = 0;
  private pumpScheduled = false;
  private positionTimer?: ReturnType<typeof setTimeout>;
  private readonly unsubscribe?: () => void;

  constructor(
    private readonly router: Router,
    options: AdmissionQueueOptions = {},
  ) {
    const { maxWaitMs, positionUpdateMs } = resolveAdmissionQueueOptions(options);
    this.maxWaitMs = maxWaitMs;
    this.positionUpdateMs = positionUpdateMs;
    this.unsubscribe = router.onCapacity?.(() => this.schedulePump());
  }

  /** Requests waiting for capacity. */
  get depth(): number {
    return this.waiting.length;
  }

  /**
   * Places `request` on a backend, waiting if needed. Resolves undefined when no backend is left for it (every
   * one excluded); rejects with an `aborted` InferenceError when `signal` aborts while waiting, or `overloaded`
   * when it waited `maxWaitMs` and there is no overflow backend.
   */
  acquire(
    request: InferenceRequest,
    exclude: ReadonlySet<InferenceBackend>,
    options: AcquireOptions,
  ): Promise<Lease | undefined> {
    if (options.signal.aborted)
      return Promise.reject(new InferenceError('aborted', 'the request was stopped while waiting for a model server'));
    const availability = this.router.availability?.(request, exclude) ?? 'now';
    // Nobody is waiting, so nobody is overtaken.
    if (availability === 'now' && this.waiting.length === 0) return Promise.resolve(this.place(request, exclude));
    if (availability === 'none') return Promise.resolve(undefined);
    if (this.maxWaitMs === 0 && availability === 'wait') return Promise.resolve(this.overflowOrFail(request, exclude));
    return new Promise<Lease | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!remove()) return;
        try {
          resolve(this.overflowOrFail(request, exclude));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }, this.maxWaitMs);
      const onAbort = () => {
        if (remove()) reject(new InferenceError('aborted', 'the request was stopped while waiting for a model server'));
      };
      const waiter: Waiter = {
        request,
        exclude,
        priority: request.priority ?? 0,
        order: this.arrivals++,
        reported: 0,
        options,
        settle: (lease, error) => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve(lease);
        },
      };
      const remove = (): boolean => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return false;
        this.waiting.splice(i, 1);
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        this.schedulePositions();
        return true;
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.insert(waiter);
      // Report the starting position at once: the user should see "queued" without delay.
      const position = this.waiting.indexOf(waiter) + 1;
      waiter.reported = position;
      options.onPosition?.(position);
      this.schedulePositions();
      if (availability === 'now') this.schedulePump();
    });
  }

  /** Fails every waiting request (bridge shutdown) and stops listening to the router. */
  close(): void {
    this.unsubscribe?.();
    if (this.positionTimer) clearTimeout(this.positionTimer);
    for (const w of this.waiting.splice(0))
      w.settle(undefined, new InferenceError('aborted', 'the bridge is shutting down'));
  }

  private place(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): Lease | undefined {
    const backend = this.router.choose(request, exclude);
    return backend ? { backend, dispatch: this.router.dispatched(backend) } : undefined;
  }

  private overflowOrFail(request: InferenceRequest, exclude: ReadonlySet<InferenceBackend>): Lease {
    const backend = this.router.overflow?.(request, exclude);
    if (backend) return { backend, dispatch: this.router.dispatched(backend) };
    throw new InferenceError(
      'overloaded',
      `no model server had capacity within ${Math.round(this.maxWaitMs / 1000)} s`,
    );
  }

  /** Sorted insert: priority ascending, then arrival. */
  private insert(waiter: Waiter): void {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.waiting[mid]!;
      if (m.priority < waiter.priority || (m.priority === waiter.priority && m.order < waiter.order)) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, waiter);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Dispatches, in queue order, every waiting request that can go now. */
  private pump(): void {
    let changed = false;
    for (let i = 0; i < this.waiting.length;) {
      const w = this.waiting[i]!;
      const availability = this.router.availability?.(w.request, w.exclude) ?? 'now';
      if (availability === 'wait') {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      changed = true;
      w.settle(availability === 'now' ? this.place(w.request, w.exclude) : undefined);
    }
    if (changed) this.schedulePositions();
  }

  /** Position reports are coalesced: a busy queue moves on every dispatch, users need a few updates a second. */
  private schedulePositions(): void {
    if (this.positionTimer || this.waiting.length === 0) return;
    this.positionTimer = setTimeout(() => {
      this.positionTimer = undefined;
      this.waiting.forEach((w, i) => {
        if (w.reported === i + 1) return;
        w.reported = i + 1;
        w.options.onPosition?.(i + 1);
      });
    }, this.positionUpdateMs);
    this.positionTimer.unref();
  }
}

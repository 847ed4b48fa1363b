/**
 * In-memory Broker for the embedded default (relay and bridge in one process). It keeps the semantics of the
 * NATS adapter — dedup window, work-queue redelivery, retention for replay, encoded events — so that code
 * written against it behaves the same when the deployment grows to NATS.
 */
import { encodeFrame } from '@locallightchat/protocol';
import type {
  Broker,
  BrokerStatus,
  ConsumeOptions,
  Consumer,
  Delivery,
  EventListener,
  ReplayQuery,
  RequestHandler,
  SubmitOptions,
  SubmitResult,
  Subscription,
} from './broker.js';
import { BrokerUnavailableError } from './broker.js';
import { ListenerSet } from './listener-set.js';
import { decodeEvent, type ConversationEvent, type GenerationRequest } from './messages.js';
import { withDefaults } from './options.js';
import { matchesReplay } from './replay-filter.js';
import { readTraceContext, type TraceContext } from './trace-context.js';

/** Settings of a {@link MemoryBroker}; defaults in {@link DEFAULT_MEMORY_BROKER_OPTIONS}. */
export interface MemoryBrokerOptions {
  /** A repeated request id within this window is not queued again, ms (JetStream's default is 2 min). */
  dedupWindowMs?: number;
  /** How long conversation events are retained for replay, ms. */
  retentionMs?: number;
  /** Most events retained per conversation. */
  maxRetainedPerConversation?: number;
  /** An unacknowledged delivery is redelivered after this long without `working()`, ms. */
  ackWaitMs?: number;
  /** Deliveries per request before it is dropped (and reported). */
  maxDeliver?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The defaults of {@link MemoryBrokerOptions}, as the NATS adapter's where they share a meaning. */
export const DEFAULT_MEMORY_BROKER_OPTIONS: Required<MemoryBrokerOptions> = {
  dedupWindowMs: 120_000,
  retentionMs: 5 * 60_000,
  maxRetainedPerConversation: 20_000,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  now: () => Date.now(),
};

/** `options` over {@link DEFAULT_MEMORY_BROKER_OPTIONS}; a RangeError for a window, limit or count below 1. */
export function resolveMemoryBrokerOptions(options: MemoryBrokerOptions = {}): Required<MemoryBrokerOptions> {
  const resolved = withDefaults(DEFAULT_MEMORY_BROKER_OPTIONS, options);
  for (const key of [
    'dedupWindowMs',
    'retentionMs',
    'maxRetainedPerConversation',
    'ackWaitMs',
    'maxDeliver',
  ] as const) {
    if (!(resolved[key] >= 1)) throw new RangeError(`${key} must be ≥ 1, got ${resolved[key]}`);
  }
  return resolved;
}

/** How often redelivery deadlines, delayed naks and retention are checked, ms. */
const HOUSEKEEPING_INTERVAL_MS = 250;

interface Pending {
  request: GenerationRequest;
  traceContext: TraceContext | undefined;
  attempt: number;
  availableAt: number;
}

interface Retained {
  event: ConversationEvent;
  at: number;
}

interface MemoryConsumer {
  handler: RequestHandler;
  maxInFlight: number;
  inFlight: Set<InFlight>;
  stopped: boolean;
}

interface InFlight {
  pending: Pending;
  consumer: MemoryConsumer;
  deadline: number;
  settled: boolean;
}

/** The Broker in one process (the embedded default), with the NATS adapter's semantics. */
export class MemoryBroker implements Broker {
  private readonly opts: Required<MemoryBrokerOptions>;
  private readonly seen = new Map<string, number>();
  private readonly queue: Pending[] = [];
  private readonly consumers: MemoryConsumer[] = [];
  private readonly listeners = new Map<string, ListenerSet<[ConversationEvent, Uint8Array]>>();
  private readonly retained = new Map<string, Retained[]>();
  private readonly cancelled = new Map<string, number>();
  private readonly cancelListeners = new ListenerSet<[string]>();
  private readonly deletedListeners = new ListenerSet<[string, string]>();
  private readonly statusListeners = new ListenerSet<[BrokerStatus]>();
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;
  /** Requests dropped after `maxDeliver` attempts; exposed for metrics and tests. */
  deadLetters = 0;

  constructor(options: MemoryBrokerOptions = {}) {
    this.opts = resolveMemoryBrokerOptions(options);
    // One housekeeping timer: redelivery deadlines, delayed naks, pruning. unref'd so it never holds a process.
    this.timer = setInterval(() => this.housekeep(), HOUSEKEEPING_INTERVAL_MS);
    this.timer.unref?.();
  }

  get status(): BrokerStatus {
    return this.closed ? 'closed' : 'connected';
  }

  onStatus(listener: (status: BrokerStatus) => void): Subscription {
    return this.statusListeners.add(listener);
  }

  async submit(request: GenerationRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    this.assertOpen();
    const now = this.opts.now();
    const seenAt = this.seen.get(request.requestId);
    if (seenAt !== undefined && now - seenAt < this.opts.dedupWindowMs) return { duplicate: true };
    this.seen.delete(request.requestId); // re-insert so the map stays in time order (see housekeep)
    this.seen.set(request.requestId, now);
    // Read as the NATS adapter reads its headers, so both deliver the same (well-formed or no) context.
    const trace = options.traceContext;
    const traceContext = trace
      ? readTraceContext((name) => (name === 'traceparent' ? trace.traceparent : trace.tracestate))
      : undefined;
    this.queue.push({ request, traceContext, attempt: 1, availableAt: now });
    this.dispatchSoon();
    return { duplicate: false };
  }

  consume(handler: RequestHandler, options: ConsumeOptions): Consumer {
    this.assertOpen();
    const consumer: MemoryConsumer = {
      handler,
      maxInFlight: Math.max(1, options.maxInFlight),
      inFlight: new Set(),
      stopped: false,
    };
    this.consumers.push(consumer);
    this.dispatchSoon();
    return {
      stop: async () => {
        if (consumer.stopped) return;
        consumer.stopped = true;
        this.consumers.splice(this.consumers.indexOf(consumer), 1);
        // Like a bridge process dying: its unacknowledged work goes back to the queue at once.
        for (const flight of consumer.inFlight) this.requeue(flight, 0);
        this.dispatchSoon();
      },
    };
  }

  async publish(conversationId: string, event: ConversationEvent): Promise<void> {
    this.assertOpen();
    const bytes = encodeFrame(event);
    // Listeners get the decoded bytes, exactly as a NATS subscriber would: encoding bugs surface here too.
    const delivered = decodeEvent(bytes);
    const list = this.retained.get(conversationId) ?? [];
    list.push({ event: delivered, at: this.opts.now() });
    if (list.length > this.opts.maxRetainedPerConversation) list.shift();
    this.retained.set(conversationId, list);
    const set = this.listeners.get(conversationId);
    if (set) queueMicrotask(() => set.emit(delivered, bytes));
  }

  subscribe(conversationId: string, listener: EventListener): Subscription {
    this.assertOpen();
    let set = this.listeners.get(conversationId);
    if (!set) this.listeners.set(conversationId, (set = new ListenerSet()));
    const sub = set.add(listener);
    return {
      unsubscribe: () => {
        sub.unsubscribe();
        if (set.size === 0 && this.listeners.get(conversationId) === set) this.listeners.delete(conversationId);
      },
    };
  }

  async replay(query: ReplayQuery): Promise<ConversationEvent[]> {
    this.assertOpen();
    const list = this.retained.get(query.conversationId) ?? [];
    return list.map((r) => r.event).filter((e) => matchesReplay(e, query));
  }

  async purge(conversationId: string): Promise<void> {
    this.assertOpen();
    this.retained.delete(conversationId);
  }

  async announceDeleted(conversationId: string, origin: string): Promise<void> {
    this.assertOpen();
    queueMicrotask(() => this.deletedListeners.emit(conversationId, origin));
  }

  onDeleted(listener: (conversationId: string, origin: string) => void): Subscription {
    return this.deletedListeners.add(listener);
  }

  async cancel(streamId: string): Promise<void> {
    this.assertOpen();
    this.cancelled.delete(streamId);
    this.cancelled.set(streamId, this.opts.now());
    queueMicrotask(() => this.cancelListeners.emit(streamId));
  }

  onCancel(listener: (streamId: string) => void): Subscription {
    return this.cancelListeners.add(listener);
  }

  async isCancelled(streamId: string): Promise<boolean> {
    return this.cancelled.has(streamId);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.statusListeners.emit('closed');
  }

  // ───────────── work queue ─────────────

  private dispatchScheduled = false;
  private dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    const now = this.opts.now();
    for (let i = 0; i < this.queue.length;) {
      const pending = this.queue[i]!;
      const consumer = pending.availableAt <= now ? this.pickConsumer() : undefined;
      if (!consumer) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.deliver(pending, consumer);
    }
  }

  /** The consumer with the most free capacity (spreads work like a pull consumer would). */
  private pickConsumer(): MemoryConsumer | undefined {
    let best: MemoryConsumer | undefined;
    for (const c of this.consumers) {
      const free = c.maxInFlight - c.inFlight.size;
      if (free > 0 && (!best || free > best.maxInFlight - best.inFlight.size)) best = c;
    }
    return best;
  }

  private deliver(pending: Pending, consumer: MemoryConsumer): void {
    const flight: InFlight = { pending, consumer, deadline: this.opts.now() + this.opts.ackWaitMs, settled: false };
    consumer.inFlight.add(flight);
    const delivery: Delivery = {
      request: pending.request,
      attempt: pending.attempt,
      ...(pending.traceContext ? { traceContext: pending.traceContext } : {}),
      ack: async () => void this.settle(flight),
      nak: async (delayMs = 0) => this.requeue(flight, delayMs),
      working: async () => {
        if (!flight.settled) flight.deadline = this.opts.now() + this.opts.ackWaitMs;
      },
    };
    Promise.resolve()
      .then(() => consumer.handler(delivery))
      .catch(() => this.requeue(flight, 1000));
  }

  private settle(flight: InFlight): boolean {
    if (flight.settled) return false;
    flight.settled = true;
    flight.consumer.inFlight.delete(flight);
    this.dispatchSoon();
    return true;
  }

  private requeue(flight: InFlight, delayMs: number): void {
    if (!this.settle(flight)) return;
    const { request, traceContext, attempt } = flight.pending;
    if (attempt >= this.opts.maxDeliver) {
      this.deadLetters++;
      return;
    }
    this.queue.push({ request, traceContext, attempt: attempt + 1, availableAt: this.opts.now() + delayMs });
  }

  private housekeep(): void {
    const now = this.opts.now();
    for (const c of this.consumers) {
      for (const flight of c.inFlight) if (flight.deadline <= now) this.requeue(flight, 0);
    }
    if (this.queue.length) this.dispatch();
    expireOldest(this.seen, now - this.opts.dedupWindowMs);
    expireOldest(this.cancelled, now - this.opts.dedupWindowMs);
    for (const [conv, list] of this.retained) {
      while (list.length && now - list[0]!.at > this.opts.retentionMs) list.shift();
      if (!list.length) this.retained.delete(conv);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BrokerUnavailableError('broker is closed');
  }
}

/** Deletes entries stamped before `cutoff` from a map kept in insertion = time order. */
function expireOldest(map: Map<string, number>, cutoff: number): void {
  for (const [key, at] of map) {
    if (at > cutoff) break;
    map.delete(key);
  }
}

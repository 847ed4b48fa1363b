/**
 * The bridge worker: takes generation requests from the broker's work queue, streams each from an inference
 * backend and publishes the answer as protocol frames on the conversation's subject.
 *
 * Delivery semantics: a request is acknowledged to the work queue once its first token is published. Until
 * then a crash of this process leaves it to be redelivered to another bridge (at-least-once), and a failure
 * that another backend could avoid (connect error, overload, TTFT timeout) fails over to the next backend
 * within this bridge — invisible to the user. After the first token a failure ends the stream with an error
 * the user can act on (regenerate); tokens are never generated twice into one stream.
 *
 * Admission: when the router says every backend is at its target load, the request waits in this bridge's
 * priority queue (routing/admission-queue.ts) and the conversation is told its position with `queued` frames.
 */
import {
  traceContextOf,
  type Broker,
  type Consumer,
  type Delivery,
  type GenerationRequest,
  type Subscription,
} from '@locallightchat/broker';
import type { Span, Tracer } from '@opentelemetry/api';
import type { StreamEndFrame } from '@locallightchat/protocol';
import {
  InferenceError,
  type InferenceBackend,
  type InferenceRequest,
  type ToolChoice,
  type ToolDefinition,
  type Usage,
} from '../backend.js';
import { withDefaults } from '../options.js';
import type { DispatchOutcome, Router } from '../router.js';
import { AdmissionQueue, type AdmissionQueueOptions, type Lease } from '../routing/admission-queue.js';
import type { BridgeMetrics, RequestOutcome } from './bridge-metrics.js';
import { failureDetail, toUserError } from './error-mapping.js';
import { endSpan, startBackendSpan, startGenerateSpan } from './bridge-spans.js';
import { StreamPublisher } from './stream-publisher.js';
import { resolveAttachmentParts, type AttachmentPolicy } from '../attachments/content-parts.js';
import { DEFAULT_TOKEN_BATCHER_OPTIONS, TokenBatcher } from './token-batcher.js';

/**
 * Settings of a {@link Bridge}: its broker and router, and tunables with defaults in {@link DEFAULT_BRIDGE_OPTIONS}.
 */
export interface BridgeOptions {
  broker: Broker;
  router: Router;
  /** Requests this process generates at once. */
  maxInFlight?: number;
  /** Later tokens are published at most this often per stream, ms. */
  batchWindowMs?: number;
  /** …or as soon as this many characters are held. */
  batchMaxChars?: number;
  /** Model name reported in `stream-start` when the request names none. */
  defaultModel?: string;
  /** Called with one line per notable event. */
  /** Notable events, with the ids of the request concerned (`llc-bridge` passes its JSON logger's `warn`). */
  log?: (message: string, error?: unknown, fields?: Record<string, unknown>) => void;
  /** Admission queue settings (used when the router does admission control). */
  admission?: AdmissionQueueOptions;
  /** Prometheus metrics to record into (see bridge-metrics.ts). */
  metrics?: BridgeMetrics;
  /**
   * The app's tools hook: the tools (and `tool_choice`) the model may use for a request, or undefined for none.
   * Tools are decided here, on the server, not by the browser: they name what the app's servers will run, so
   * a client must not be able to add or change them (it can still pick a conversation whose hook offers them).
   */
  tools?: (request: GenerationRequest) => { tools: ToolDefinition[]; toolChoice?: ToolChoice } | undefined;
  /**
   * How a user turn's attachments reach the model (images as URLs or inlined data: URLs, files' text as text
   * parts): see attachments/content-parts.ts for the choices and their defaults.
   */
  attachments?: AttachmentPolicy;
  /**
   * When every replica refused with 429 and a Retry-After (and no fallback serves), the request waits out the
   * Retry-After and tries again, for at most this long in all, ms (0 = fail at once).
   */
  maxRetryAfterWaitMs?: number;
  /**
   * Records OpenTelemetry spans (one per answer, one per backend attempt), continuing the relay's trace from the
   * request's trace context, and sends `traceparent` to the backend. Default: none (tracing off).
   */
  tracer?: Tracer;
}

/** The defaults of {@link BridgeOptions}. */
export const DEFAULT_BRIDGE_OPTIONS: Required<
  Pick<
    BridgeOptions,
    'maxInFlight' | 'batchWindowMs' | 'batchMaxChars' | 'defaultModel' | 'log' | 'maxRetryAfterWaitMs'
  >
> = {
  maxInFlight: 256,
  maxRetryAfterWaitMs: 20_000,
  batchWindowMs: DEFAULT_TOKEN_BATCHER_OPTIONS.windowMs,
  batchMaxChars: DEFAULT_TOKEN_BATCHER_OPTIONS.maxChars,
  defaultModel: 'default',
  log: (message, error) => console.error(`[llc-bridge] ${message}`, error ?? ''),
};

/** `options` over {@link DEFAULT_BRIDGE_OPTIONS}; a RangeError unless `maxInFlight` is a positive integer. */
export function resolveBridgeOptions(options: BridgeOptions): BridgeOptions & typeof DEFAULT_BRIDGE_OPTIONS {
  const resolved = withDefaults(DEFAULT_BRIDGE_OPTIONS, options);
  if (!Number.isInteger(resolved.maxInFlight) || resolved.maxInFlight < 1)
    throw new RangeError(`maxInFlight must be a positive integer, got ${resolved.maxInFlight}`);
  return resolved;
}

/** While a request waits for its first token, the work queue is told this often that it is still being worked on, ms. */
const WORKING_INTERVAL_MS = 5000;

type Outcome =
  | { kind: 'done'; finishReason: StreamEndFrame['finishReason']; usage?: Usage }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: unknown };
/** An outcome with what the batcher measured about the stream. */
type Ended = Outcome & { reasoningMs?: number };

/** A bridge worker: consumes generation requests and publishes their answers (see the module note). */
export class Bridge {
  private readonly opts: BridgeOptions & typeof DEFAULT_BRIDGE_OPTIONS;
  private readonly active = new Map<string, AbortController>();
  private readonly queue: AdmissionQueue;
  private consumer?: Consumer;
  private cancelSub?: Subscription;

  constructor(options: BridgeOptions) {
    this.opts = resolveBridgeOptions(options);
    this.queue = new AdmissionQueue(options.router, options.admission);
    options.metrics?.observeQueue(() => this.queue.depth);
  }

  /** Requests waiting in this bridge for backend capacity. */
  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Streams being generated by this process. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Starts taking requests from the broker's work queue (and cancellations). */
  start(): void {
    if (this.consumer) return;
    this.cancelSub = this.opts.broker.onCancel((streamId) => this.active.get(streamId)?.abort());
    this.consumer = this.opts.broker.consume((delivery) => this.handle(delivery), {
      maxInFlight: this.opts.maxInFlight,
    });
  }

  /** Stops taking requests. With `graceful`, waits (up to `timeoutMs`) for running streams to finish. */
  async stop(graceful = true, timeoutMs = 30_000): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (graceful && this.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const controller of this.active.values()) controller.abort();
    this.cancelSub?.unsubscribe();
  }

  /** One delivery from the work queue: `stream-start`, the answer, `stream-end`; acknowledged or given back. */
  private async handle(delivery: Delivery): Promise<void> {
    const req = delivery.request;
    // Already generating here (a redelivery that raced the first token's ack): this copy is redundant.
    if (this.active.has(req.streamId)) return delivery.ack();
    const controller = new AbortController();
    this.active.set(req.streamId, controller);
    const out = new StreamPublisher(this.opts.broker, delivery, this.opts.log);
    const span = startGenerateSpan(this.opts.tracer, delivery, this.opts.defaultModel);
    try {
      if (await this.opts.broker.isCancelled(req.streamId)) {
        await this.end(out, req, { kind: 'cancelled' });
        endSpan(span, { kind: 'cancelled' }, 0);
        return await out.ack();
      }
      await out.publish({
        type: 'stream-start',
        streamId: req.streamId,
        conversationId: req.conversationId,
        replyTo: req.replyTo,
        model: req.model ?? this.opts.defaultModel,
        createdAt: Date.now(),
      });
      const outcome = await this.answer(delivery, controller.signal, out, span);
      await this.end(out, req, outcome);
      endSpan(span, outcome, out.seq);
      await out.ack();
    } catch (error) {
      // Publishing itself failed (broker down): let another bridge (or this one, later) try again.
      this.opts.log(`request ${req.requestId} failed before it could be answered`, error, ids(req));
      endSpan(span, { kind: 'failed', error }, out.seq);
      await out.giveBack();
    } finally {
      this.active.delete(req.streamId);
    }
  }

  /** Generates the answer into batched token frames, keeping the delivery alive on the work queue meanwhile. */
  private async answer(
    delivery: Delivery,
    signal: AbortSignal,
    out: StreamPublisher,
    span: Span | undefined,
  ): Promise<Ended> {
    const req = delivery.request;
    const batcher = new TokenBatcher(
      { windowMs: this.opts.batchWindowMs, maxChars: this.opts.batchMaxChars },
      (batch) => out.token(batch),
    );
    const keepAlive = setInterval(() => void delivery.working().catch(() => undefined), WORKING_INTERVAL_MS);
    try {
      const onQueued = (position: number) => void out.publish({ type: 'queued', streamId: req.streamId, position });
      const outcome = await this.generate(req, signal, batcher, onQueued, span);
      const reasoningMs = batcher.reasoningMs;
      return reasoningMs === undefined ? outcome : { ...outcome, reasoningMs };
    } finally {
      clearInterval(keepAlive);
      batcher.flush();
      batcher.dispose();
    }
  }

  /** Streams from backends, failing over before the first token. */
  private async generate(
    req: GenerationRequest,
    signal: AbortSignal,
    batcher: TokenBatcher,
    onQueued: (position: number) => void,
    span: Span | undefined,
  ): Promise<Outcome> {
    const tried = new Set<InferenceBackend>();
    const inference: InferenceRequest = {
      requestId: req.requestId,
      messages: await resolveAttachmentParts(req.messages, this.opts.attachments ?? {}, this.opts.log, signal),
      maxTokens: req.maxTokens,
      affinityKey: req.conversationId,
      ...(req.model !== undefined ? { model: req.model } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.priority !== 0 ? { priority: req.priority } : {}),
    };
    const offered = this.opts.tools?.(req);
    if (offered && offered.tools.length > 0) {
      inference.tools = offered.tools;
      if (offered.toolChoice) inference.toolChoice = offered.toolChoice;
    }
    let lastError: unknown = new InferenceError('connect', 'no inference backend is configured');
    let waitedMs = 0;
    for (;;) {
      let lease: Lease | undefined;
      try {
        lease = await this.queue.acquire(inference, tried, { signal, onPosition: onQueued });
      } catch (error) {
        if (signal.aborted) return { kind: 'cancelled' };
        return { kind: 'failed', error };
      }
      if (!lease) {
        // Every replica refused. A rate limit that says when to come back is waited out (bounded) rather than
        // failing the user at once; anything else fails now.
        const wait = retryAfterWait(lastError, waitedMs, this.opts.maxRetryAfterWaitMs);
        if (wait === undefined) return { kind: 'failed', error: lastError };
        waitedMs += wait;
        if (!(await sleep(wait, signal))) return { kind: 'cancelled' };
        tried.clear();
        continue;
      }
      tried.add(lease.backend);
      const attempt = await this.streamFrom(lease, inference, signal, batcher, span);
      if (attempt.kind !== 'failover') return attempt;
      lastError = attempt.error;
    }
  }

  /** One backend's attempt at the answer; `failover` when it failed before the first token and another may serve. */
  private async streamFrom(
    lease: Lease,
    inference: InferenceRequest,
    signal: AbortSignal,
    batcher: TokenBatcher,
    parentSpan: Span | undefined,
  ): Promise<Outcome | { kind: 'failover'; error: InferenceError }> {
    const span = startBackendSpan(this.opts.tracer, parentSpan, lease.backend.name, inference);
    const traceContext = span && traceContextOf(span);
    const request = traceContext ? { ...inference, traceContext } : inference;
    const attempt = await this.streamOnce(lease, request, signal, batcher, span);
    endSpan(span, attempt);
    return attempt;
  }

  private async streamOnce(
    { backend, dispatch }: Lease,
    inference: InferenceRequest,
    signal: AbortSignal,
    batcher: TokenBatcher,
    span: Span | undefined,
  ): Promise<Outcome | { kind: 'failover'; error: InferenceError }> {
    const track = this.track(backend.name);
    const release = (outcome: DispatchOutcome, metricOutcome: RequestOutcome, error?: unknown) => {
      dispatch.done(outcome, error);
      track.done(metricOutcome);
    };
    /** Indices of the tool calls this attempt streamed: each gets an end part when the stream ends. */
    const toolCalls = new Set<number>();
    try {
      for await (const event of backend.stream(inference, signal)) {
        if (event.type === 'delta') {
          if (track.delta()) {
            dispatch.firstToken();
            span?.addEvent('first token');
          }
          const parts = (event.toolCalls ?? []).map((d) => {
            toolCalls.add(d.index);
            return {
              index: d.index,
              ...(d.id !== undefined ? { id: d.id } : {}),
              ...(d.name !== undefined ? { name: d.name } : {}),
              ...(d.arguments !== undefined ? { args: d.arguments } : {}),
            };
          });
          batcher.push(event.text, event.reasoning ?? '', parts);
        } else {
          if (toolCalls.size > 0)
            batcher.push(
              '',
              '',
              [...toolCalls].sort((a, b) => a - b).map((index) => ({ index, end: true })),
            );
          release('ok', event.finishReason === 'abort' ? 'cancelled' : 'ok');
          return {
            kind: 'done',
            finishReason: event.finishReason === 'abort' ? 'cancelled' : event.finishReason,
            ...(event.usage ? { usage: event.usage } : {}),
          };
        }
      }
      const error = new InferenceError('server', 'the stream ended without a final event', { backend: backend.name });
      release('error', 'error', error);
      return { kind: 'failed', error };
    } catch (error) {
      if (signal.aborted) {
        release('ok', 'cancelled');
        return { kind: 'cancelled' };
      }
      const failover = !batcher.started && error instanceof InferenceError && error.failoverable;
      release(failover ? 'failover' : 'error', failover ? 'failover' : 'error', error);
      if (!failover) return { kind: 'failed', error };
      this.opts.metrics?.failovers.inc({ backend: backend.name, reason: error.kind });
      this.opts.log(`backend ${backend.name} failed before the first token (${error.kind}); failing over`, undefined, {
        requestId: inference.requestId,
        backend: backend.name,
      });
      return { kind: 'failover', error };
    }
  }

  /** Metrics of one dispatch: in-flight while it runs, TTFT and ITL per delta, the outcome when it ends. */
  private track(backend: string): { delta(): boolean; done(outcome: RequestOutcome): void } {
    const m = this.opts.metrics;
    const started = performance.now();
    let last: number | undefined;
    m?.inFlight.inc({ backend });
    // The labelled series once per stream, not per delta (prom-client hashes the labels at every call).
    const itl = m?.itl.labels({ backend });
    return {
      /** Records a delta; true for the first one. */
      delta: () => {
        const now = performance.now();
        const first = last === undefined;
        if (first) m?.ttft.observe({ backend }, (now - started) / 1000);
        else itl?.observe((now - last!) / 1000);
        last = now;
        return first;
      },
      done: (outcome) => {
        m?.inFlight.dec({ backend });
        m?.requests.inc({ backend, outcome });
      },
    };
  }

  /** Publishes `stream-end` for `outcome` (a failure as a sentence the user can act on). */
  private async end(out: StreamPublisher, req: GenerationRequest, outcome: Ended): Promise<void> {
    const lastSeq = out.seq;
    const base = {
      type: 'stream-end',
      streamId: req.streamId,
      conversationId: req.conversationId,
      lastSeq,
      ...(outcome.reasoningMs !== undefined ? { reasoningMs: outcome.reasoningMs } : {}),
    } as const;
    switch (outcome.kind) {
      case 'done':
        return out.publish({
          ...base,
          finishReason: outcome.finishReason,
          ...(outcome.usage ? { usage: outcome.usage } : {}),
        });
      case 'cancelled':
        return out.publish({ ...base, finishReason: 'cancelled' });
      case 'failed': {
        const { code, message } = toUserError(outcome.error, lastSeq > 0);
        this.opts.log(
          `request ${req.requestId} failed after ${lastSeq} batches: ${failureDetail(outcome.error)}`,
          undefined,
          ids(req),
        );
        return out.publish({ ...base, finishReason: 'error', errorCode: code, errorMessage: message.slice(0, 1000) });
      }
    }
  }
}

/** The ids a log line about `req` carries. */
function ids(req: GenerationRequest): Record<string, string> {
  return { requestId: req.requestId, streamId: req.streamId, conversationId: req.conversationId };
}

/** How long to wait before trying every replica again after `error`, or undefined to fail now. */
function retryAfterWait(error: unknown, waitedMs: number, maxWaitMs: number): number | undefined {
  if (!(error instanceof InferenceError) || error.kind !== 'overloaded') return undefined;
  const retryAfterMs = error.details.retryAfterMs;
  if (retryAfterMs === undefined) return undefined;
  const wait = Math.max(100, retryAfterMs);
  return waitedMs + wait <= maxWaitMs ? wait : undefined;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The Broker port. Relays and bridges only ever talk through this interface; the in-memory adapter (one
 * process) and the NATS JetStream adapter (many processes and nodes) both pass the same conformance suite.
 */
import type { ConversationEvent, GenerationRequest } from './messages.js';
import type { TraceContext } from './trace-context.js';

/** What `Broker.submit` reports about a queued request. */
export interface SubmitResult {
  /** True when a request with the same `requestId` was already submitted within the dedup window. */
  duplicate: boolean;
}

/** One delivery of a generation request to a bridge. */
export interface Delivery {
  readonly request: GenerationRequest;
  /** 1 on first delivery; higher after a bridge failed or died before acknowledging. */
  readonly attempt: number;
  /** The submitter's trace context (`SubmitOptions.traceContext`), when it sent one that is well formed. */
  readonly traceContext?: TraceContext;
  /**
   * Done with this request: it will not be redelivered. Bridges ack once the first token is published —
   * after that a failure ends the stream with an error rather than starting it again elsewhere.
   */
  ack(): Promise<void>;
  /** Give the request back for redelivery (to any bridge) after `delayMs`. */
  nak(delayMs?: number): Promise<void>;
  /** Still working on it before the first token: extend the redelivery deadline. */
  working(): Promise<void>;
}

/** Extras of `Broker.submit`. */
export interface SubmitOptions {
  /**
   * W3C trace context of the submitter's span (the relay's answer span), delivered with the request (NATS: as
   * the `traceparent`/`tracestate` message headers) so the bridge's spans join the same trace.
   */
  traceContext?: TraceContext;
}

/** Handles one delivery (bridge side); a rejection gives the request back for redelivery. */
export type RequestHandler = (delivery: Delivery) => void | Promise<void>;

/** Settings of one consumer of the work queue. */
export interface ConsumeOptions {
  /** Most deliveries handed to this consumer at once. */
  maxInFlight: number;
}

/** A running consumer of the work queue (see `Broker.consume`). */
export interface Consumer {
  /** Stops taking requests; unacknowledged deliveries become available to other consumers. */
  stop(): Promise<void>;
}

/** Something to stop listening with. */
export interface Subscription {
  unsubscribe(): void;
}

/** Broker connection state, for `/readyz` and for metrics. */
export type BrokerStatus = 'connected' | 'reconnecting' | 'closed';

/**
 * A conversation event listener. `bytes` is the event's encoded frame as published: relays send it to their
 * sockets as is. It may be a view into a larger buffer; copy it to keep it. A token batch may come as a
 * `TokenFrameView` over `bytes` (protocol's token-view.ts: its text is decoded when first read), so forwarding
 * it costs no decode; keep `bytes` (a copy) rather than the event to hold it long.
 */
export type EventListener = (event: ConversationEvent, bytes: Uint8Array) => void;

/** Which retained events `Broker.replay` returns: a conversation, or one of its streams from a seq. */
export interface ReplayQuery {
  conversationId: string;
  /** Only this stream's events. */
  streamId?: string;
  /** Only token batches with `seq ≥ fromSeq` (stream-start is included when `fromSeq ≤ 1`). */
  fromSeq?: number;
}

/**
 * The port: generation requests from relays to bridges, conversation events from bridges (and relays) to every
 * relay holding the conversation, and cancellations, with dedup, retention for resume and redelivery.
 */
export interface Broker {
  /** Current connection state. */
  readonly status: BrokerStatus;
  /** Called on every status change. */
  onStatus(listener: (status: BrokerStatus) => void): Subscription;

  /** Queues a generation request; a repeat of the same `requestId` within the dedup window is not queued. */
  submit(request: GenerationRequest, options?: SubmitOptions): Promise<SubmitResult>;
  /** Takes generation requests from the work queue (bridge side). Each request goes to one consumer. */
  consume(handler: RequestHandler, options: ConsumeOptions): Consumer;

  /** Publishes an event to everyone subscribed to its conversation, and retains it for replay. */
  publish(conversationId: string, event: ConversationEvent): Promise<void>;
  /** Live events of a conversation. Relays hold one subscription per open conversation per node. */
  subscribe(conversationId: string, listener: EventListener): Subscription;
  /** Retained events (in publish order) for resume on a node that did not see them live. */
  replay(query: ReplayQuery): Promise<ConversationEvent[]>;
  /** Forgets every retained event of a conversation (it was deleted): nothing of it can be replayed after. */
  purge(conversationId: string): Promise<void>;
  /**
   * Tells every node that a conversation was deleted, so each lets it go and tells the sockets that followed it
   * there. `origin` names the announcing node (its listeners skip their own announcement). Live only, at most
   * once (NATS: a core publish): a node cut off from the broker at that moment does not hear it.
   */
  announceDeleted(conversationId: string, origin: string): Promise<void>;
  /** Relay side: told about every deletion announced by any node, its own included. */
  onDeleted(listener: (conversationId: string, origin: string) => void): Subscription;

  /** Cancels a stream wherever it is generated, or before it starts. */
  cancel(streamId: string): Promise<void>;
  /** Bridge side: told about every cancellation. */
  onCancel(listener: (streamId: string) => void): Subscription;
  /** Whether `streamId` was cancelled recently (a bridge checks before starting a request). */
  isCancelled(streamId: string): Promise<boolean>;

  /** Resolves once earlier subscribe/publish calls have reached the server (round trip for NATS). */
  flush(): Promise<void>;

  /** Releases connections and timers. Pending deliveries are left to other consumers. */
  close(): Promise<void>;
}

/** Raised by adapters when the broker cannot be reached; the relay maps it to `broker-unavailable`. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
}

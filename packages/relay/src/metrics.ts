/**
 * Prometheus metrics of one relay process (prom-client, a private registry per relay so that tests can run
 * several relays in one process). Names are part of the public contract: dashboards depend on them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withDefaults } from './options.js';

/** Settings of {@link RelayMetrics}; its constructor takes a partial. */
export interface RelayMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag), prefixed `llc_relay_`. */
  defaultMetrics: boolean;
  /** Labels added to every series (e.g. the process index under a supervisor). */
  labels?: Record<string, string>;
}

/** Process metrics on, no extra labels. */
export const DEFAULT_METRICS_OPTIONS: RelayMetricsOptions = { defaultMetrics: true };

/** The relay's Prometheus series in a private registry, served at `/metrics`. */
export class RelayMetrics {
  readonly registry = new Registry();

  readonly connections = new Gauge({
    name: 'llc_relay_connections',
    help: 'Open WebSocket connections.',
    registers: [this.registry],
  });
  readonly connectionsTotal = new Counter({
    name: 'llc_relay_connections_total',
    help: 'Accepted WebSocket connections.',
    registers: [this.registry],
  });
  readonly uploads = new Counter({
    name: 'llc_relay_uploads_total',
    help: 'Requests to the upload endpoint (uploadDir), by step (presign, put, get) and result (ok, refused).',
    labelNames: ['step', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'llc_relay_reconnects_total',
    help: 'Connections that resumed a previous session (hello after a drop) or resumed a stream.',
    registers: [this.registry],
  });
  readonly resumes = new Counter({
    name: 'llc_relay_resumes_total',
    help: "Stream resumes answered, by where the events came from: 'ring' (this node's memory), 'broker' (the broker's retained events) or 'none' (not retained).",
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly subscribes = new Counter({
    name: 'llc_relay_subscribes_total',
    help: "Subscribes admitted, by how ownership was checked: 'grant' (the client's subscription grant, no Store read) or 'store'.",
    labelNames: ['check'] as const,
    registers: [this.registry],
  });
  readonly storeCalls = new Counter({
    name: 'llc_relay_store_calls_total',
    help: 'Calls to the Store (Redis or memory), by method: reads such as ownerOf or listMessages, writes, rate charges.',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly streamsActive = new Gauge({
    name: 'llc_relay_streams_active',
    help: 'Streams started and not yet ended, as seen by this node.',
    registers: [this.registry],
  });
  readonly conversationsOpen = new Gauge({
    name: 'llc_relay_conversations_open',
    help: 'Conversations with a broker subscription on this node.',
    registers: [this.registry],
  });
  readonly framesSent = new Counter({
    name: 'llc_relay_frames_sent_total',
    help: 'Frames written to sockets.',
    registers: [this.registry],
  });
  readonly framesReceived = new Counter({
    name: 'llc_relay_frames_received_total',
    help: 'Frames received from sockets.',
    registers: [this.registry],
  });
  readonly messagesAccepted = new Counter({
    name: 'llc_relay_messages_accepted_total',
    help: 'User messages accepted (duplicates excluded).',
    registers: [this.registry],
  });
  readonly firstToken = new Histogram({
    name: 'llc_relay_first_token_seconds',
    help: "Time from a stream's first token arriving from the broker to it being written to a socket.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly backpressureEvents = new Counter({
    name: 'llc_relay_backpressure_events_total',
    help: "Times a socket's send buffer passed the high-water mark (sending paused, deltas coalesced).",
    registers: [this.registry],
  });
  readonly coalescedFrames = new Counter({
    name: 'llc_relay_coalesced_frames_total',
    help: 'Token frames merged into a later frame under backpressure.',
    registers: [this.registry],
  });
  readonly slowConsumerCloses = new Counter({
    name: 'llc_relay_slow_consumer_closes_total',
    help: 'Sockets closed (resumable) because their queue passed the hard bound.',
    registers: [this.registry],
  });
  readonly budgetRefusals = new Counter({
    name: 'llc_relay_budget_refusals_total',
    help: "Messages refused because the user's token budget was exhausted.",
    registers: [this.registry],
  });
  readonly budgetUnmetered = new Counter({
    name: 'llc_relay_budget_unmetered_total',
    help: 'Messages let through unmetered because the store was unreachable (tokenBudgetFailOpen).',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'llc_relay_errors_total',
    help: 'Error frames sent, by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor(partial: Partial<RelayMetricsOptions> = {}) {
    const options = withDefaults(DEFAULT_METRICS_OPTIONS, partial);
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'llc_relay_' });
  }
}

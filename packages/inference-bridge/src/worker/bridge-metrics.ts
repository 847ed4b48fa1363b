/**
 * The bridge's Prometheus metrics, on a registry of their own (so several bridges in one process, as in tests
 * or the embedded relay, never collide on prom-client's global registry). Served by `llc-bridge --metrics-port`.
 *
 * - `llc_bridge_requests_total{backend,outcome}`: one per request sent to a backend; outcome `ok` (finished),
 *   `cancelled` (user stop), `failover` (failed before the first token, retried elsewhere), `error` (the user
 *   saw an error).
 * - `llc_bridge_in_flight{backend}`: requests on each backend now.
 * - `llc_bridge_queue_depth`: requests waiting for capacity in this bridge (admission control).
 * - `llc_bridge_ttft_seconds{backend}`: dispatch to first delta (the queue wait inside the bridge excluded,
 *   vLLM's own queue included).
 * - `llc_bridge_itl_seconds{backend}`: gap between consecutive deltas. A delta may carry several tokens when
 *   the server falls behind, so this is the latency a reader sees between updates.
 * - `llc_bridge_failovers_total{backend,reason}`: requests moved off `backend` before their first token.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The `outcome` label of `llc_bridge_requests_total`. */
export type RequestOutcome = 'ok' | 'cancelled' | 'failover' | 'error';

/** vLLM's TTFT buckets (seconds), so bridge and engine histograms line up. */
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560,
];
/** vLLM's inter-token-latency buckets. */
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

/** The bridge's Prometheus metrics on their own registry (see the module note). */
export class BridgeMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'backend' | 'outcome'>;
  readonly inFlight: Gauge<'backend'>;
  readonly queueDepth: Gauge;
  readonly ttft: Histogram<'backend'>;
  readonly itl: Histogram<'backend'>;
  readonly failovers: Counter<'backend' | 'reason'>;
  private queueDepthSource: () => number = () => 0;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({
      name: 'llc_bridge_requests_total',
      help: 'Requests sent to inference backends, by outcome.',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'llc_bridge_in_flight',
      help: 'Requests on each inference backend now.',
      labelNames: ['backend'],
      registers,
    });
    const depth = () => this.queueDepthSource();
    this.queueDepth = new Gauge({
      name: 'llc_bridge_queue_depth',
      help: 'Requests waiting in this bridge for backend capacity.',
      registers,
      collect() {
        this.set(depth());
      },
    });
    this.ttft = new Histogram({
      name: 'llc_bridge_ttft_seconds',
      help: 'Time from dispatch to the first delta.',
      labelNames: ['backend'],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.itl = new Histogram({
      name: 'llc_bridge_itl_seconds',
      help: 'Time between consecutive deltas of a stream.',
      labelNames: ['backend'],
      buckets: ITL_BUCKETS,
      registers,
    });
    this.failovers = new Counter({
      name: 'llc_bridge_failovers_total',
      help: 'Requests moved to another backend before their first token.',
      labelNames: ['backend', 'reason'],
      registers,
    });
  }

  /** Where the queue depth is read from at scrape time. */
  observeQueue(depth: () => number): void {
    this.queueDepthSource = depth;
  }

  /** Prometheus text of every bridge metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Scrapes one replica's Prometheus endpoint on an interval and keeps the latest load reading: vLLM's
 * `num_requests_waiting` (its queue, which drives TTFT), `num_requests_running` (its batch, which drives ITL)
 * and `kv_cache_usage_perc` (preemption risk). A reading is stale when the last successful scrape is older than
 * `staleAfterIntervals` intervals or the latest scrape failed; the router then ignores it (see LoadAwareRouter).
 */
import { sumSamples } from './prometheus-text.js';

/** The vLLM metrics a replica's load is read from. */
export const VLLM_LOAD_METRICS = {
  waiting: 'vllm:num_requests_waiting',
  running: 'vllm:num_requests_running',
  kvUsage: 'vllm:kv_cache_usage_perc',
} as const;
const WANTED = new Set<string>(Object.values(VLLM_LOAD_METRICS));

/** One scrape of a replica's load. */
export interface LoadReading {
  waiting: number;
  running: number;
  /** 0–1. */
  kvUsage: number;
  /** When the scrape that produced it started (ms, the scraper's clock). */
  at: number;
  /** What the caller's own in-flight count was when that scrape started (see LoadAwareRouter's score). */
  ownInFlightAtScrape: number;
}

/** Settings of a {@link LoadScraper} (the router passes its own). */
export interface LoadScraperOptions {
  /** The replica's metrics URL, e.g. `http://gpu-1:8000/metrics`. */
  url: string;
  intervalMs: number;
  /** A reading older than this many intervals is stale. */
  staleAfterIntervals: number;
  /**
   * Per-scrape timeout; default the longer of the interval and 2 s (a loaded vLLM can be slow to answer
   * `/metrics`; scrapes never overlap — ticks during a slow one are skipped).
   */
  timeoutMs?: number;
  /** The caller's in-flight count for this replica, sampled when a scrape starts. */
  ownInFlight: () => number;
  /** Called after every scrape, successful or not. */
  onScrape?: () => void;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

/** Scrapes one replica's `/metrics` on an interval (see the module note). */
export class LoadScraper {
  private reading?: LoadReading;
  private lastFailed = false;
  private lastError?: string;
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<void>;
  private readonly now: () => number;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(private readonly options: LoadScraperOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`scrape interval must be > 0 ms, got ${options.intervalMs}`);
    if (!(options.staleAfterIntervals > 0))
      throw new RangeError(`staleAfterIntervals must be > 0, got ${options.staleAfterIntervals}`);
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Scrapes now and then every interval. */
  start(): void {
    if (this.timer) return;
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest reading when it is fresh, else undefined. */
  fresh(now = this.now()): LoadReading | undefined {
    if (!this.reading || this.lastFailed) return undefined;
    return now - this.reading.at <= this.options.intervalMs * this.options.staleAfterIntervals
      ? this.reading
      : undefined;
  }

  /** For logs and tests: the last reading (fresh or not) and why the last scrape failed, if it did. */
  get state(): { reading?: LoadReading; stale: boolean; error?: string } {
    return {
      ...(this.reading ? { reading: this.reading } : {}),
      stale: this.fresh() === undefined,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  /** One scrape (concurrent calls share it). */
  scrape(): Promise<void> {
    this.running ??= this.scrapeOnce().finally(() => {
      this.running = undefined;
      this.options.onScrape?.();
    });
    return this.running;
  }

  private async scrapeOnce(): Promise<void> {
    const at = this.now();
    const ownInFlightAtScrape = this.options.ownInFlight();
    try {
      const response = await this.fetchImpl(this.options.url, {
        signal: AbortSignal.timeout(this.options.timeoutMs ?? Math.max(this.options.intervalMs, 2000)),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const sums = sumSamples(await response.text(), WANTED);
      const waiting = finite(sums.get(VLLM_LOAD_METRICS.waiting)?.sum);
      const running = finite(sums.get(VLLM_LOAD_METRICS.running)?.sum);
      if (waiting === undefined || running === undefined)
        throw new Error(`no ${VLLM_LOAD_METRICS.waiting} / ${VLLM_LOAD_METRICS.running} samples`);
      // Several engines each report a 0–1 usage: their mean is the replica's (the sum could exceed 1).
      const kv = sums.get(VLLM_LOAD_METRICS.kvUsage);
      const kvUsage = Math.min(1, Math.max(0, finite(kv ? kv.sum / kv.count : 0) ?? 0));
      this.reading = { waiting: Math.max(0, waiting), running: Math.max(0, running), kvUsage, at, ownInFlightAtScrape };
      this.lastFailed = false;
      this.lastError = undefined;
    } catch (error) {
      this.lastFailed = true;
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }
}

function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * `/metrics` with vLLM's metric names, label `model_name` (and `engine`, as vLLM V1 adds), bucket boundaries as
 * in vLLM's Prometheus logger. Each simulator has its own prom-client Registry, so several can live in one
 * process. Latencies are observed in *simulated* seconds (equal to wall seconds at `speed` 1, apart from
 * timer lateness), because they describe the modelled GPU, not this Node process.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, FinishReason } from './engine.js';

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
];

export const FINISHED_REASONS: readonly FinishReason[] = ['stop', 'length', 'abort'];

/** The simulator's `/metrics`, with vLLM's names, on a registry of its own. */
export interface SimulatorMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
  /** Stops observing the engine. */
  dispose(): void;
}

export function createMetrics(engine: Engine, model: string, info: { hashSeed: string }): SimulatorMetrics {
  const registry = new Registry();
  const labels = { model_name: model, engine: '0' };
  const labelNames = ['model_name', 'engine'] as const;
  const common = { registers: [registry], labelNames };

  new Gauge({
    name: 'vllm:num_requests_running',
    help: 'Number of requests in model execution batches.',
    ...common,
    collect() {
      this.set(labels, engine.running.length);
    },
  });
  new Gauge({
    name: 'vllm:num_requests_waiting',
    help: 'Number of requests waiting to be processed.',
    ...common,
    collect() {
      this.set(labels, engine.waiting.length);
    },
  });
  new Gauge({
    name: 'vllm:kv_cache_usage_perc',
    help: 'KV-cache usage. 1 means 100 percent usage.',
    ...common,
    collect() {
      this.set(labels, engine.stats().kvUsage);
    },
  });
  // vLLM's cache config as an info gauge (value 1, settings as labels); routers read the block count from it.
  const stats = engine.stats();
  new Gauge({
    name: 'vllm:cache_config_info',
    help: 'Information of the LLMEngine CacheConfig',
    registers: [registry],
    labelNames: ['block_size', 'num_gpu_blocks', 'enable_prefix_caching', 'prefix_caching_hash_algo', 'hash_seed'],
  }).set(
    {
      block_size: String(stats.blockSize),
      num_gpu_blocks: String(stats.kvBlocksTotal),
      enable_prefix_caching: stats.prefixCaching ? 'True' : 'False',
      prefix_caching_hash_algo: 'llc52',
      hash_seed: info.hashSeed,
    },
    1,
  );
  const prefixQueries = new Counter({
    name: 'vllm:prefix_cache_queries_total',
    help: 'Prefix cache queries, in terms of number of queried tokens.',
    ...common,
  });
  const prefixHits = new Counter({
    name: 'vllm:prefix_cache_hits_total',
    help: 'Prefix cache hits, in terms of number of cached tokens.',
    ...common,
  });
  const preemptions = new Counter({
    name: 'vllm:num_preemptions_total',
    help: 'Cumulative number of preemption from the engine.',
    ...common,
  });
  const promptTokens = new Counter({
    name: 'vllm:prompt_tokens_total',
    help: 'Number of prefill tokens processed.',
    ...common,
  });
  const generationTokens = new Counter({
    name: 'vllm:generation_tokens_total',
    help: 'Number of generation tokens processed.',
    ...common,
  });
  const success = new Counter({
    name: 'vllm:request_success_total',
    help: 'Count of successfully processed requests.',
    registers: [registry],
    labelNames: ['model_name', 'engine', 'finished_reason'] as const,
  });
  const ttft = new Histogram({
    name: 'vllm:time_to_first_token_seconds',
    help: 'Histogram of time to first token in seconds.',
    buckets: TTFT_BUCKETS,
    ...common,
  });
  const itl = new Histogram({
    name: 'vllm:inter_token_latency_seconds',
    help: 'Histogram of inter-token latency in seconds.',
    buckets: ITL_BUCKETS,
    ...common,
  });
  const e2e = new Histogram({
    name: 'vllm:e2e_request_latency_seconds',
    help: 'Histogram of e2e request latency in seconds.',
    buckets: REQUEST_LATENCY_BUCKETS,
    ...common,
  });
  const queue = new Histogram({
    name: 'vllm:request_queue_time_seconds',
    help: 'Histogram of time spent in WAITING phase for request.',
    buckets: REQUEST_LATENCY_BUCKETS,
    ...common,
  });

  // Series exist from the start (vLLM pre-creates them), so a scraper sees zeros rather than missing metrics.
  preemptions.inc(labels, 0);
  prefixQueries.inc(labels, 0);
  prefixHits.inc(labels, 0);
  promptTokens.inc(labels, 0);
  generationTokens.inc(labels, 0);
  for (const reason of FINISHED_REASONS) success.inc({ ...labels, finished_reason: reason }, 0);
  for (const h of [ttft, itl, e2e, queue]) h.zero(labels);

  const stopObserving = engine.observe({
    onPreempt: () => preemptions.inc(labels),
    onPrefixCacheQuery(queries, hits) {
      prefixQueries.inc(labels, queries);
      if (hits > 0) prefixHits.inc(labels, hits);
    },
    onFirstToken(seq) {
      promptTokens.inc(labels, seq.promptTokens);
      ttft.observe(labels, ((seq.firstTokenMs ?? 0) - seq.arrivalMs) / 1000);
      if (seq.firstScheduledMs !== undefined) queue.observe(labels, (seq.firstScheduledMs - seq.arrivalMs) / 1000);
    },
    onToken(_seq, interTokenMs) {
      generationTokens.inc(labels);
      if (interTokenMs !== undefined) itl.observe(labels, interTokenMs / 1000);
    },
    onFinish(seq, reason) {
      success.inc({ ...labels, finished_reason: reason });
      e2e.observe(labels, ((seq.finishMs ?? engine.now) - seq.arrivalMs) / 1000);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    dispose: stopObserving,
  };
}

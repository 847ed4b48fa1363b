/**
 * Routing building blocks: the Prometheus text reader, the circuit breaker (on a manual clock), and the
 * LoadAwareRouter against real simulator replicas (scraped load, own in-flight counts, stale readings).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InferenceError } from '../src/backend.js';
import { OpenAIBackend } from '../src/backends/index.js';
import { CircuitBreaker } from '../src/routing/circuit-breaker.js';
import { LoadAwareRouter } from '../src/routing/load-aware-router.js';
import { PrometheusParseError, sumSamples } from '../src/routing/prometheus-text.js';
import { sampleInferenceRequest } from '../src/backends/conformance.js';
import { startSimulator, type RunningSimulator } from '@locallightchat/vllm-sim';
import { holdLoad } from './support/sims.js';

describe('Prometheus text reader', () => {
  it('sums samples per name across label sets, skipping comments and unwanted names', () => {
    const text = [
      '# HELP vllm:num_requests_waiting Number of requests waiting.',
      '# TYPE vllm:num_requests_waiting gauge',
      'vllm:num_requests_waiting{model_name="m",engine="0"} 3',
      'vllm:num_requests_waiting{model_name="a \\"quoted\\" } brace",engine="1"} 2.5 1700000000000',
      'vllm:kv_cache_usage_perc{engine="0"} 0.25',
      'vllm:kv_cache_usage_perc{engine="1"} 0.75',
      'other_metric 99',
      '',
    ].join('\n');
    const all = sumSamples(text);
    assert.deepEqual(all.get('vllm:num_requests_waiting'), { sum: 5.5, count: 2 });
    assert.deepEqual(all.get('vllm:kv_cache_usage_perc'), { sum: 1, count: 2 });
    assert.equal(all.get('other_metric')?.sum, 99);
    assert.equal(sumSamples(text, new Set(['other_metric'])).size, 1);
  });

  it('reads +Inf and NaN and rejects malformed lines with a typed error', () => {
    assert.equal(sumSamples('a_bucket{le="+Inf"} +Inf').get('a_bucket')?.sum, Infinity);
    assert.ok(Number.isNaN(sumSamples('a NaN').get('a')?.sum));
    assert.throws(() => sumSamples('a{b="1" 2'), PrometheusParseError);
    assert.throws(() => sumSamples('a twelve'), PrometheusParseError);
    assert.throws(() => sumSamples('{x="1"} 2'), PrometheusParseError);
  });
});

describe('CircuitBreaker', () => {
  const overloaded = (retryAfterMs?: number) =>
    new InferenceError('overloaded', '429', { status: 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

  it('opens on 429, honours Retry-After, then lets exactly one probe through', () => {
    const b = new CircuitBreaker({ baseCooldownMs: 100, maxCooldownMs: 10_000 });
    assert.equal(b.failure(overloaded(2000), 0), 2000);
    assert.equal(b.state(1999), 'open');
    assert.equal(b.available(1999), false);
    assert.equal(b.state(2000), 'half-open');
    assert.equal(b.dispatched(2000), true, 'the first request after the cooldown is the probe');
    assert.equal(b.available(2001), false, 'one probe at a time');
    b.success();
    assert.equal(b.state(2002), 'closed');
    assert.equal(b.available(2002), true);
  });

  it('backs off exponentially when the probe fails, counts one storm as one trip, and resets on success', () => {
    const b = new CircuitBreaker({ baseCooldownMs: 100, maxCooldownMs: 1000 });
    assert.equal(b.failure(new InferenceError('connect', 'refused'), 0), 100);
    assert.equal(
      b.failure(overloaded(), 50),
      undefined,
      'a request sent before the trip failing too is the same storm',
    );
    b.dispatched(100);
    assert.equal(b.failure(new InferenceError('timeout', 'slow'), 100), 200);
    b.dispatched(300);
    assert.equal(b.failure(overloaded(), 300), 400);
    b.dispatched(700);
    b.success();
    assert.equal(b.failure(overloaded(), 800), 100, 'cooldowns start over after a success');
  });

  it('opens on server errors only after several in a row, and ignores user errors and aborts', () => {
    const b = new CircuitBreaker({ baseCooldownMs: 100, failureThreshold: 3 });
    const server = new InferenceError('server', 'HTTP 500', { status: 500 });
    assert.equal(b.failure(new InferenceError('context-too-long', 'too long'), 0), undefined);
    assert.equal(b.failure(new InferenceError('aborted', 'stop'), 0), undefined);
    assert.equal(b.failure(server, 0), undefined);
    assert.equal(b.failure(server, 0), undefined);
    assert.equal(b.failure(server, 0), 100);
    assert.equal(b.state(50), 'open');
  });

  it('frees the probe slot when the probe ends without a verdict', () => {
    const b = new CircuitBreaker({ baseCooldownMs: 10 });
    b.failure(overloaded(), 0);
    assert.equal(b.dispatched(10), true);
    b.probeAbandoned();
    assert.equal(b.available(11), true);
    assert.equal(b.state(11), 'half-open');
  });
});

describe('LoadAwareRouter against simulator replicas', () => {
  let busy: RunningSimulator;
  let idle: RunningSimulator;
  before(async () => {
    // A real profile's step times keep background streams running for the whole test.
    busy = await startSimulator({ profile: '8b-h100' });
    idle = await startSimulator({ profile: '8b-h100' });
  });
  after(async () => {
    await busy.close();
    await idle.close();
  });

  const routed = (sim: RunningSimulator) => ({
    backend: new OpenAIBackend({ baseURL: sim.url }),
    metricsUrl: `${sim.origin}/metrics`,
  });

  it('prefers the replica that its scrape shows less loaded, counting its own dispatches in between', async () => {
    const release = await holdLoad(busy, 12);
    const a = routed(busy);
    const b = routed(idle);
    const router = new LoadAwareRouter({ backends: [a, b], scrapeIntervalMs: 60_000 });
    try {
      await router.scrapeAll();
      const [busyStatus, idleStatus] = router.status();
      assert.equal(busyStatus!.stale, false);
      assert.ok(busyStatus!.load >= 12, `busy load ${busyStatus!.load}`);
      assert.equal(idleStatus!.load, 0);
      // The busy one's score is its load plus its waiting queue and KV usage, as scraped: the KV part grows with
      // the time its streams have run, so on a slow machine the score is above 12 (the Node 24 CI pass under load
      // read 17 or more). The idle one's score is only the router's own dispatches to it (its scrape is empty).
      const busyScore = busyStatus!.score;
      assert.equal(idleStatus!.score, 0);
      // No scrape during the burst: only the router's own in-flight counts move.
      const pick = () => {
        const backend = router.choose(sampleInferenceRequest(), new Set())!;
        router.dispatched(backend);
        return backend;
      };
      const below = Math.ceil(busyScore); // dispatches the idle one takes while its score stays below busyScore
      const picks = Array.from({ length: below }, pick);
      assert.equal(
        picks.filter((p) => p === b.backend).length,
        below,
        `all ${below} go to the idle replica (its load stays below the busy one's score ${busyScore})`,
      );
      const more = Array.from({ length: 3 }, pick);
      assert.ok(
        more.some((p) => p === a.backend),
        'once its own dispatches make the idle one as loaded, the busy one gets some too',
      );
    } finally {
      router.close();
      await release();
    }
  });

  it('spreads a burst over equal replicas without herding', async () => {
    const router = new LoadAwareRouter({ backends: [routed(busy), routed(idle)], scrapeIntervalMs: 60_000 });
    try {
      await router.scrapeAll();
      const counts = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const backend = router.choose(sampleInferenceRequest(), new Set())!;
        router.dispatched(backend);
        counts.set(backend.name, (counts.get(backend.name) ?? 0) + 1);
      }
      assert.deepEqual([...counts.values()].sort(), [20, 20]);
    } finally {
      router.close();
    }
  });

  it('marks a replica whose scrape fails as stale and scores it on its own in-flight count only', async () => {
    const gone = await startSimulator({ profile: 'fast' });
    const release = await holdLoad(gone, 5);
    const r = routed(gone);
    const router = new LoadAwareRouter({ backends: [r, routed(idle)], scrapeIntervalMs: 60_000 });
    try {
      await router.scrapeAll();
      assert.equal(router.status()[0]!.stale, false);
      assert.ok(router.status()[0]!.load >= 5);
      await release();
      await gone.close();
      await router.scrapeAll();
      const status = router.status()[0]!;
      assert.equal(status.stale, true);
      assert.equal(status.load, 0, 'the last reading no longer counts');
      assert.ok(status.reading, 'the last reading is kept for inspection');
    } finally {
      router.close();
    }
  });

  it('waits when every replica is at its target, and says none when all are excluded', () => {
    const a = routed(idle);
    const router = new LoadAwareRouter({ backends: [a], targetInFlight: 2 });
    try {
      const req = sampleInferenceRequest();
      assert.equal(router.availability(req, new Set()), 'now');
      const d1 = router.dispatched(router.choose(req, new Set())!);
      router.dispatched(router.choose(req, new Set())!);
      assert.equal(router.availability(req, new Set()), 'wait');
      assert.equal(router.choose(req, new Set()), undefined);
      d1.done('ok');
      assert.equal(router.availability(req, new Set()), 'now');
      assert.equal(router.availability(req, new Set([a.backend])), 'none');
    } finally {
      router.close();
    }
  });
});

/**
 * The Bridge with the LoadAwareRouter over real simulator replicas: failover before the first token is
 * invisible (replica closed, replica dying mid-request, TTFT timeout), a failure after the first token ends the
 * stream with a clear error, a 429 storm opens the breaker (Retry-After honoured) and traffic moves, a cloud
 * fallback takes over when no replica can serve, and a burst spreads over equal replicas.
 *
 * `random: () => 0` makes power-of-two choices deterministic on ties: the first listed replica wins, so a
 * test knows which replica a request tries first.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StreamEndFrame } from '@locallightchat/protocol';
import type { InferenceBackend } from '../src/backend.js';
import { OpenAIBackend } from '../src/backends/index.js';
import { LoadAwareRouter, type LoadAwareRouterOptions } from '../src/routing/load-aware-router.js';
import { startSimulator, type RunningSimulator } from '@locallightchat/vllm-sim';
import { BridgeHarness } from './support/bridge-harness.js';
import { eventually, setFaults, simFinished } from './support/sims.js';

/** A complete answer: ended by the model (EOS or max_tokens), no error. */
function assertAnswered(end: StreamEndFrame): void {
  assert.ok(
    end.finishReason === 'stop' || end.finishReason === 'length',
    `finished with ${end.finishReason} ${end.errorCode ?? ''} ${end.errorMessage ?? ''}`,
  );
  assert.equal(end.errorCode, undefined);
}

describe('Bridge failover over simulator replicas', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let backendA: OpenAIBackend;
  let backendB: OpenAIBackend;
  let router: LoadAwareRouter | undefined;
  let harness: BridgeHarness | undefined;
  const opened: { backend: string; cooldownMs: number }[] = [];

  beforeEach(async () => {
    a = await startSimulator({ profile: 'fast' });
    b = await startSimulator({ profile: 'fast' });
    backendA = new OpenAIBackend({ baseURL: a.url, name: 'A', ttftTimeoutMs: 2000 });
    backendB = new OpenAIBackend({ baseURL: b.url, name: 'B', ttftTimeoutMs: 2000 });
    opened.length = 0;
  });
  afterEach(async () => {
    await harness?.close();
    router?.close();
    harness = undefined;
    router = undefined;
    await a.close();
    await b.close();
  });

  function start(
    options: Partial<LoadAwareRouterOptions> = {},
    backends: InferenceBackend[] = [backendA, backendB],
  ): BridgeHarness {
    const sims = new Map<InferenceBackend, RunningSimulator>([
      [backendA, a],
      [backendB, b],
    ]);
    router = new LoadAwareRouter({
      backends: backends.map((backend) => ({ backend, metricsUrl: `${sims.get(backend)!.origin}/metrics` })),
      random: () => 0,
      scrapeIntervalMs: 100,
      breaker: { baseCooldownMs: 200, maxCooldownMs: 5000 },
      onBreakerOpen: (backend, cooldownMs) => void opened.push({ backend: backend.name, cooldownMs }),
      ...options,
    }).start();
    harness = new BridgeHarness(router);
    return harness;
  }

  it('fails over invisibly when the first replica is down', async () => {
    await a.close();
    // A cooldown no loaded machine outlasts before the breaker's state is read below (200 ms once did).
    const h = start({ breaker: { baseCooldownMs: 60_000, maxCooldownMs: 60_000 } });
    const answer = await h.submit();
    const end = await answer.ended;
    assertAnswered(end);
    assert.equal(end.errorCode, undefined);
    assert.ok(answer.text.length > 0);
    // The user sees one ordinary stream: start, tokens from seq 1, end.
    assert.deepEqual([...new Set(answer.events.map((e) => e.type))], ['stream-start', 'token', 'stream-end']);
    assert.equal(await h.metric('llc_bridge_failovers_total', { backend: 'A', reason: 'connect' }), 1);
    assert.equal(await h.metric('llc_bridge_requests_total', { backend: 'B', outcome: 'ok' }), 1);
    assert.equal(router!.status()[0]!.breaker, 'open');
    assert.equal(await simFinished(b), 1);
  });

  it('fails over invisibly when the replica dies mid-request before the first token', async () => {
    await setFaults(a, { hangNext: 1 });
    const h = start();
    const answer = await h.submit();
    // The request is on A (headers sent, no token): kill A.
    await eventually(
      async () => (await h.metric('llc_bridge_in_flight', { backend: 'A' })) === 1,
      'the request to reach A',
    );
    await a.close();
    const end = await answer.ended;
    assertAnswered(end);
    assert.ok(answer.text.length > 0);
    assert.equal(answer.events.filter((e) => e.type === 'stream-start').length, 1);
    assert.equal(await h.metric('llc_bridge_failovers_total', { backend: 'A' }), 1);
    assert.equal(await simFinished(b), 1);
  });

  it('fails over on a TTFT timeout', async () => {
    await setFaults(a, { hangNext: 1 });
    const h = start();
    const answer = await h.submit();
    const end = await answer.ended;
    assertAnswered(end);
    assert.equal(await h.metric('llc_bridge_failovers_total', { backend: 'A', reason: 'timeout' }), 1);
  });

  it('ends with a clear error after the first token, without trying another replica', async () => {
    await setFaults(a, { failNext: 1, failAfterTokens: 5 });
    const h = start();
    const answer = await h.submit({ maxTokens: 200 });
    const end = await answer.ended;
    assert.equal(end.finishReason, 'error');
    assert.equal(end.errorCode, 'stream-failed');
    assert.match(end.errorMessage ?? '', /interrupted/i);
    // What the user reads: no backend address, socket error code or promise of a control that may not exist.
    assert.doesNotMatch(end.errorMessage ?? '', /\d+\.\d+\.\d+\.\d+|localhost|:\d{2,5}\b|UND_ERR|ECONN|regenerate/i);
    assert.ok(end.lastSeq >= 1, 'tokens had been published');
    assert.ok(answer.text.length > 0);
    assert.equal(await h.metric('llc_bridge_requests_total', { backend: 'A', outcome: 'error' }), 1);
    assert.equal(await h.metric('llc_bridge_failovers_total'), 0);
    assert.equal(await simFinished(b), 0, 'B never saw the request');
  });

  it('opens the breaker on a 429 storm (honouring Retry-After) and moves traffic; a probe closes it again', async () => {
    // Retry-After 3 s: long enough that ten answers from B fit in the cooldown on a slow, loaded machine.
    await setFaults(a, { rejectNext: -1, rejectStatus: 429, retryAfterSeconds: 3 });
    const h = start();
    for (let i = 0; i < 10; i++) {
      const end = await (await h.submit()).ended;
      assertAnswered(end);
    }
    // A is tried once, then only when a cooldown has ended (ten answers usually fit in one, but a loaded
    // machine can outlast it): every try of A opened its breaker again, for Retry-After's 3 s.
    const triesOfA = await h.metric('llc_bridge_requests_total', { backend: 'A', outcome: 'failover' });
    assert.ok(triesOfA >= 1 && triesOfA <= 10, `A was tried ${triesOfA} times`);
    assert.equal(opened.length, triesOfA, 'A was tried only when its breaker let it');
    assert.ok(
      opened.every((o) => o.backend === 'A' && o.cooldownMs === 3000),
      `Retry-After (3 s) beats the 200 ms base cooldown: ${JSON.stringify(opened)}`,
    );
    assert.equal(await h.metric('llc_bridge_requests_total', { backend: 'B', outcome: 'ok' }), 10);
    // The storm ends; after the cooldown one probe goes to A and closes the breaker.
    await setFaults(a, { reset: true });
    await eventually(() => router!.status()[0]!.breaker === 'half-open', 'the cooldown to end');
    const end = await (await h.submit()).ended;
    assertAnswered(end);
    assert.equal(router!.status()[0]!.breaker, 'closed');
    assert.equal(await simFinished(a), 1);
  });

  it('waits out Retry-After when every replica answers 429 and no fallback exists, within a bounded wait', async () => {
    await setFaults(a, { rejectNext: 1, rejectStatus: 429, retryAfterSeconds: 1 });
    await setFaults(b, { rejectNext: 1, rejectStatus: 429, retryAfterSeconds: 1 });
    const h = start();
    const started = Date.now();
    const end = await (await h.submit()).ended;
    assertAnswered(end);
    assert.ok(Date.now() - started >= 900, 'it waited for the Retry-After');
  });

  it('fails with overloaded once the Retry-After wait would pass its bound', async () => {
    await setFaults(a, { rejectNext: -1, rejectStatus: 429, retryAfterSeconds: 1 });
    await setFaults(b, { rejectNext: -1, rejectStatus: 429, retryAfterSeconds: 1 });
    router = new LoadAwareRouter({
      backends: [backendA, backendB].map((backend, i) => ({
        backend,
        metricsUrl: `${(i === 0 ? a : b).origin}/metrics`,
      })),
      random: () => 0,
      scrapeIntervalMs: 100,
      breaker: { baseCooldownMs: 200, maxCooldownMs: 5000 },
    }).start();
    harness = new BridgeHarness(router, { maxRetryAfterWaitMs: 2500 });
    const started = Date.now();
    const end = await (await harness.submit()).ended;
    assert.equal(end.finishReason, 'error');
    assert.equal(end.errorCode, 'overloaded');
    const took = Date.now() - started;
    assert.ok(took >= 1900 && took < 15_000, `bounded wait (${took} ms)`);
  });

  it('falls back to the cloud backend when no replica can serve', async () => {
    const cloud = await startSimulator({ profile: 'fast', model: 'cloud/model' });
    try {
      await setFaults(a, { rejectNext: -1, rejectStatus: 503 });
      await setFaults(b, { rejectNext: -1, rejectStatus: 503 });
      const h = start({ fallback: new OpenAIBackend({ baseURL: cloud.url, name: 'cloud', model: 'cloud/model' }) });
      const answer = await h.submit({ model: 'meta-llama/Llama-3.1-8B-Instruct' });
      const end = await answer.ended;
      assertAnswered(end);
      assert.equal(await h.metric('llc_bridge_failovers_total'), 2);
      assert.equal(await h.metric('llc_bridge_requests_total', { backend: 'cloud', outcome: 'ok' }), 1);
      assert.equal(await simFinished(cloud), 1, 'the fallback was asked for its own model');
    } finally {
      await cloud.close();
    }
  });

  it('spreads 40 concurrent requests over two equal replicas', async () => {
    // No first-token timeout here: on a loaded machine 40 requests at once can take longer than the 2 s the
    // other tests use, and a timed-out request fails over, so one answer would count on both replicas.
    backendA = new OpenAIBackend({ baseURL: a.url, name: 'A' });
    backendB = new OpenAIBackend({ baseURL: b.url, name: 'B' });
    const h = start({ random: Math.random });
    const answers = await Promise.all(Array.from({ length: 40 }, () => h.submit({ maxTokens: 100 })));
    const ends = await Promise.all(answers.map((x) => x.ended));
    ends.forEach(assertAnswered);
    const onA = await simFinished(a);
    const onB = await simFinished(b);
    assert.equal(onA + onB, 40);
    assert.ok(onA >= 14 && onB >= 14, `balanced: A ${onA}, B ${onB}`);
    const text = await h.metrics.text();
    for (const name of [
      'llc_bridge_requests_total',
      'llc_bridge_in_flight',
      'llc_bridge_queue_depth',
      'llc_bridge_ttft_seconds_bucket',
      'llc_bridge_itl_seconds_bucket',
      'llc_bridge_failovers_total',
    ]) {
      assert.ok(text.includes(name), `${name} is exported`);
    }
    assert.equal(await h.metric('llc_bridge_in_flight', { backend: 'A' }), 0);
  });
});

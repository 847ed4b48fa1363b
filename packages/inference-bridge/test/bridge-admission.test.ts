/**
 * Admission control, priority and cancellation through the Bridge against real simulator replicas: requests
 * beyond a replica's target wait in the bridge's priority queue and the conversation hears its position;
 * priority requests overtake both in the bridge's queue and in the simulator's scheduler (the `priority`
 * field reaches vLLM); stop aborts the HTTP request and the simulator counts the sequence as aborted.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { OpenAIBackend } from '../src/backends/index.js';
import { LoadAwareRouter } from '../src/routing/load-aware-router.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '@locallightchat/vllm-sim';
import { RoundRobinRouter } from '../src/router.js';
import { BridgeHarness, type Answer } from './support/bridge-harness.js';
import { eventually, simFinished } from './support/sims.js';

describe('Bridge admission, priority and stop', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function sim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
    const s = await startSimulator({ profile: 'fast', ...options });
    cleanup.push(() => s.close());
    return s;
  }

  function bridge(
    s: RunningSimulator,
    targetInFlight?: number,
    maxWaitMs?: number,
  ): { h: BridgeHarness; router: LoadAwareRouter } {
    const router = new LoadAwareRouter({
      backends: [{ backend: new OpenAIBackend({ baseURL: s.url, name: 'sim' }), metricsUrl: `${s.origin}/metrics` }],
      ...(targetInFlight !== undefined ? { targetInFlight } : {}),
    }).start();
    const h = new BridgeHarness(router, {
      admission: { positionUpdateMs: 20, ...(maxWaitMs !== undefined ? { maxWaitMs } : {}) },
    });
    cleanup.push(
      () => router.close(),
      () => h.close(),
    );
    return { h, router };
  }

  // Slow simulated steps (speed ≤ 0.1: ≥ 10 ms) keep the first, long answer running (even its shortest natural
  // length, 30 tokens) while the test queues more requests behind it.

  /** Records the order in which answers get their first token. */
  function firstTokenOrder(answers: Record<string, Answer>): string[] {
    const order: string[] = [];
    for (const [name, a] of Object.entries(answers)) void a.firstToken.then(() => order.push(name));
    return order;
  }

  it('stop aborts the request on the simulator, which counts the sequence as aborted', async () => {
    const s = await sim({ speed: 0.1 });
    const { h } = bridge(s);
    const answer = await h.submit({ maxTokens: 2000 });
    await answer.firstToken;
    await h.broker.cancel(answer.request.streamId);
    const end = await answer.ended;
    assert.equal(end.finishReason, 'cancelled');
    await eventually(async () => (await simFinished(s, 'abort')) === 1, 'the simulator to count the abort');
    assert.equal(s.engine.stats().running, 0, 'the sequence left the engine');
    assert.equal(await simFinished(s, 'stop'), 0);
    assert.equal(await h.metric('llc_bridge_requests_total', { backend: 'sim', outcome: 'cancelled' }), 1);
  });

  it('passes priority to the simulator, whose priority scheduler lets it overtake waiting requests', async () => {
    const s = await sim({ schedulingPolicy: 'priority', maxNumSeqs: 1, speed: 0.05 });
    const h = new BridgeHarness(new RoundRobinRouter([new OpenAIBackend({ baseURL: s.url })]));
    cleanup.push(() => h.close());
    const long = await h.submit({ maxTokens: 300 });
    await long.firstToken;
    const answers: Record<string, Answer> = {};
    for (let i = 1; i <= 4; i++) answers[`normal-${i}`] = await h.submit({ maxTokens: 10 });
    await eventually(() => s.engine.stats().waiting === 4, 'four requests waiting in the simulator');
    answers.urgent = await h.submit({ maxTokens: 10, priority: -5 });
    const order = firstTokenOrder(answers);
    await Promise.all(Object.values(answers).map((a) => a.ended));
    assert.equal(order[0], 'urgent', `first tokens in order ${order.join(', ')}`);
    await h.broker.cancel(long.request.streamId);
    await long.ended;
  });

  it('queues beyond the target, reports queue positions, and lets priority requests overtake in the bridge', async () => {
    const s = await sim({ schedulingPolicy: 'priority', speed: 0.05 });
    const { h } = bridge(s, 1);
    const long = await h.submit({ maxTokens: 200 });
    await long.firstToken;
    const answers: Record<string, Answer> = {};
    for (let i = 1; i <= 3; i++) answers[`normal-${i}`] = await h.submit({ maxTokens: 10 });
    await eventually(() => h.bridge.queueDepth === 3, 'three requests queued in the bridge');
    assert.equal(s.engine.stats().waiting + s.engine.stats().running, 1, 'the simulator holds only the target');
    assert.equal(await h.metric('llc_bridge_queue_depth'), 3);
    answers.urgent = await h.submit({ maxTokens: 10, priority: -5 });
    await eventually(() => h.bridge.queueDepth === 4, 'the urgent request queued');
    // The urgent request is told it is next; the others learn they moved back.
    await eventually(() => answers['normal-3']!.positions.at(-1) === 4, 'position updates');
    assert.deepEqual(answers.urgent.positions, [1]);
    assert.deepEqual(answers['normal-1']!.positions, [1, 2]);
    const order = firstTokenOrder(answers);
    // Free the slot: the queue drains in priority order.
    await h.broker.cancel(long.request.streamId);
    await Promise.all(Object.values(answers).map((a) => a.ended));
    assert.deepEqual(order, ['urgent', 'normal-1', 'normal-2', 'normal-3']);
    // Queued frames come after stream-start and before the first token.
    const types = answers['normal-2']!.events.map((e) => e.type);
    assert.ok(
      types.indexOf('stream-start') < types.indexOf('queued') && types.lastIndexOf('queued') < types.indexOf('token'),
      types.join(','),
    );
  });

  it('a stop while queued ends the stream without ever reaching the simulator', async () => {
    const s = await sim({ speed: 0.05 });
    const { h } = bridge(s, 1);
    const long = await h.submit({ maxTokens: 200 });
    await long.firstToken;
    const queued = await h.submit({ maxTokens: 10 });
    await eventually(() => h.bridge.queueDepth === 1, 'the request queued');
    await h.broker.cancel(queued.request.streamId);
    assert.equal((await queued.ended).finishReason, 'cancelled');
    assert.equal(h.bridge.queueDepth, 0);
    await h.broker.cancel(long.request.streamId);
    await long.ended;
    await eventually(async () => (await simFinished(s)) === 1, 'the first request to finish');
    assert.equal(await simFinished(s), 1, 'only the first request reached the simulator');
  });

  it('ends a request that waited too long with "overloaded" when there is no fallback', async () => {
    const s = await sim({ speed: 0.1 });
    const { h } = bridge(s, 1, 100);
    const long = await h.submit({ maxTokens: 2000 });
    await long.firstToken;
    const late = await h.submit({ maxTokens: 10 });
    const end = await late.ended;
    assert.equal(end.finishReason, 'error');
    assert.equal(end.errorCode, 'overloaded');
    assert.deepEqual(late.positions, [1]);
    await h.broker.cancel(long.request.streamId);
    await long.ended;
  });
});

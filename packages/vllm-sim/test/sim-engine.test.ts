/**
 * The simulated engine on its own clock (clock: 'manual'): every assertion is about simulated milliseconds and
 * step counts, so the results do not depend on how busy this machine is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Engine,
  resolveProfile,
  type FinishReason,
  type SequenceResult,
  type SimProfile,
  type StepRecord,
  type TokenSource,
} from '../src/index.js';

const BASE: SimProfile = resolveProfile('fast', {
  t0: 10,
  a: 0.5,
  b: 0.01,
  maxNumSeqs: 16,
  maxNumBatchedTokens: 2048,
  kvCacheTokens: 1_000_000,
  maxModelLen: 16_384,
});

/** An answer of `n` tokens, then EOS. */
function fixed(n: number, text = 'x'): TokenSource {
  let left = n;
  return { next: () => (left-- > 0 ? { text, reasoning: false } : undefined) };
}

interface Outcome {
  id: string;
  reason?: FinishReason;
  result?: SequenceResult;
  /** Simulated time of each token. */
  tokenTimes: number[];
}

function engineWith(
  profile: Partial<SimProfile> = {},
  extra: { policy?: 'fcfs' | 'priority'; jitter?: number; seed?: number } = {},
) {
  const engine = new Engine({
    profile: { ...BASE, ...profile },
    clock: 'manual',
    jitter: extra.jitter ?? 0,
    ...(extra.policy ? { policy: extra.policy } : {}),
    ...(extra.seed !== undefined ? { seed: extra.seed } : {}),
  });
  const outcomes = new Map<string, Outcome>();
  const submit = (
    id: string,
    promptTokens: number,
    maxTokens: number,
    options: { priority?: number; source?: TokenSource } = {},
  ) => {
    const outcome: Outcome = { id, tokenTimes: [] };
    outcomes.set(id, outcome);
    return engine.submit(
      {
        id,
        promptTokens,
        maxTokens,
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        source: options.source ?? fixed(1_000_000),
      },
      {
        onToken: () => void outcome.tokenTimes.push(engine.now),
        onFinish: (reason, result) => {
          outcome.reason = reason;
          outcome.result = result;
        },
      },
    );
  };
  return { engine, outcomes, submit };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ttft = (o: Outcome) => o.result!.firstTokenMs! - o.result!.arrivalMs;
/** Mean time between tokens after the first. */
const itl = (o: Outcome) => (o.tokenTimes.at(-1)! - o.tokenTimes[0]!) / (o.tokenTimes.length - 1);

function burst(n: number) {
  const { engine, outcomes, submit } = engineWith();
  for (let i = 0; i < n; i++) submit(`r${i}`, 500, 60);
  engine.runUntilIdle();
  const all = [...outcomes.values()];
  for (const o of all) assert.equal(o.reason, 'length');
  return { ttft: mean(all.map(ttft)), itl: mean(all.map(itl)), all, engine };
}

describe('simulated engine: the queueing knee', () => {
  it('grows ITL with the batch up to max_num_seqs, then TTFT grows while ITL plateaus', () => {
    const c1 = burst(1);
    const c16 = burst(16);
    const c64 = burst(64);
    const c128 = burst(128);
    // Below capacity, batching costs decode speed.
    assert.ok(c16.itl > c1.itl * 1.3, `ITL grows with the batch (${c1.itl} → ${c16.itl})`);
    // Past max_num_seqs (16), the batch no longer grows: ITL plateaus…
    assert.ok(c64.itl < c16.itl * 1.15, `ITL plateaus (${c16.itl} → ${c64.itl})`);
    assert.ok(c128.itl < c16.itl * 1.15, `ITL plateaus (${c16.itl} → ${c128.itl})`);
    // …and the excess waits: TTFT becomes queueing time.
    assert.ok(c64.ttft > c16.ttft * 3, `TTFT grows with the queue (${c16.ttft} → ${c64.ttft})`);
    assert.ok(c128.ttft > c64.ttft * 1.7, `TTFT keeps growing (${c64.ttft} → ${c128.ttft})`);
    // Requests are served in waves of 16: the last wave waits for the ones before it.
    const lastWave = c64.all.slice(48).map(ttft);
    const firstWave = c64.all.slice(0, 16).map(ttft);
    assert.ok(Math.min(...lastWave) > Math.max(...firstWave), 'the last wave waits for the first');
  });

  it('never runs more than max_num_seqs sequences or more than max_num_batched_tokens per step', () => {
    const { engine, submit } = engineWith();
    const steps: StepRecord[] = [];
    engine.observe({ onStep: (s) => void steps.push(s) });
    for (let i = 0; i < 40; i++) submit(`r${i}`, 3000, 20);
    engine.runUntilIdle();
    assert.ok(steps.length > 0, 'steps ran');
    for (const s of steps) {
      assert.ok(s.running <= 16, `running ${s.running}`);
      assert.ok(s.decodeSeqs + s.prefillTokens <= 2048, `tokens in step ${s.index}`);
    }
  });
});

describe('simulated engine: prefill', () => {
  it('prefills a long prompt in chunks of the step budget; TTFT is the sum of those steps', () => {
    const { engine, outcomes, submit } = engineWith();
    const steps: StepRecord[] = [];
    engine.observe({ onStep: (s) => void steps.push(s) });
    submit('long', 5000, 3);
    engine.runUntilIdle();
    assert.deepEqual(
      steps.slice(0, 3).map((s) => s.prefillTokens),
      [2048, 2048, 904],
    );
    // t0 per step plus b per prompt token (no jitter in this engine).
    const expected = 3 * BASE.t0 + BASE.b * 5000;
    assert.ok(
      Math.abs(ttft(outcomes.get('long')!) - expected) < 1e-6,
      `TTFT ${ttft(outcomes.get('long')!)} vs ${expected}`,
    );
    assert.equal(outcomes.get('long')!.result!.promptTokens, 5000);
  });

  it('slows every decoding stream while a long prompt is prefilled (prefill interference)', () => {
    const { engine, outcomes, submit } = engineWith({ b: 0.05 });
    for (let i = 0; i < 4; i++) submit(`d${i}`, 50, 200);
    for (let i = 0; i < 20; i++) engine.step();
    const before = outcomes.get('d0')!.tokenTimes.length;
    submit('big', 8000, 5);
    for (let i = 0; i < 10; i++) engine.step();
    engine.runUntilIdle();
    const times = outcomes.get('d0')!.tokenTimes;
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const quiet = gaps.slice(2, before - 1);
    const during = gaps.slice(before - 1, before + 3);
    assert.ok(
      Math.max(...during) > 5 * Math.max(...quiet),
      `ITL during the big prefill ${during.join(', ')} vs quiet ${quiet.join(', ')}`,
    );
  });
});

describe('simulated engine: scheduling policy', () => {
  function scenario(policy: 'fcfs' | 'priority') {
    const { engine, outcomes, submit } = engineWith({ maxNumSeqs: 2 }, { policy });
    const low = policy === 'priority' ? 10 : 0;
    // Two long background sequences fill both seats and finish 20 steps apart.
    submit('bg1', 100, 100, { priority: low });
    submit('bg2', 100, 120, { priority: low });
    engine.step();
    // fcfs: a, b, c arrive a step apart. priority: they arrive together and b (priority 0) must go first.
    const gap = () => void (policy === 'fcfs' && engine.step());
    submit('a', 100, 5, { priority: policy === 'priority' ? 5 : 0 });
    gap();
    submit('b', 100, 5, { priority: 0 });
    gap();
    submit('c', 100, 5, { priority: policy === 'priority' ? 5 : 0 });
    engine.runUntilIdle();
    const first = (id: string) => outcomes.get(id)!.result!.firstTokenMs!;
    return { engine, outcomes, first };
  }

  it('fcfs serves in arrival order', () => {
    const { first, engine, outcomes } = scenario('fcfs');
    assert.ok(first('bg1') < first('a'), 'background first');
    assert.ok(first('a') < first('b'), 'a before b');
    assert.ok(first('b') < first('c'), 'b before c');
    assert.ok(first('a') > outcomes.get('bg1')!.result!.finishMs - 1e-9, 'a waits for a free seat');
    assert.equal(engine.preemptions, 0);
  });

  it('priority lets more urgent requests overtake, preempting less urgent running ones', () => {
    const { first, engine, outcomes } = scenario('priority');
    assert.ok(first('b') < first('a'), 'priority 0 before priority 5');
    assert.ok(first('a') < first('c'), 'equal priority keeps arrival order');
    assert.ok(first('c') < outcomes.get('bg1')!.result!.finishMs, 'overtakes the running background work');
    assert.ok(engine.preemptions >= 2, `preemptions ${engine.preemptions}`);
    // Preempted sequences are recomputed, not lost: they still deliver every token.
    assert.equal(outcomes.get('bg1')!.tokenTimes.length, 100);
    assert.equal(outcomes.get('bg2')!.reason, 'length');
  });
});

describe('simulated engine: KV cache', () => {
  it('preempts when the KV cache runs out and still completes every sequence', () => {
    const { engine, outcomes, submit } = engineWith({ kvCacheTokens: 1024, maxModelLen: 1024 });
    let maxUsage = 0;
    engine.observe({ onStep: () => void (maxUsage = Math.max(maxUsage, engine.stats().kvUsage)) });
    for (let i = 0; i < 4; i++) submit(`r${i}`, 200, 300);
    engine.runUntilIdle();
    assert.ok(engine.preemptions > 0, 'KV pressure forces preemption');
    assert.ok(maxUsage <= 1 && maxUsage > 0.9, `KV usage peaks near 1 (${maxUsage})`);
    for (const o of outcomes.values()) {
      assert.equal(o.reason, 'length');
      assert.equal(o.tokenTimes.length, 300);
    }
    assert.equal(engine.kvBlocksUsed, 0);
  });

  it('frees capacity on abort: a waiting sequence takes the aborted one’s place at once', () => {
    const { engine, outcomes, submit } = engineWith({ maxNumSeqs: 1 });
    const a = submit('a', 100, 1000);
    submit('b', 100, 10, { source: fixed(3) });
    const c = submit('c', 100, 10, { source: fixed(3) });
    for (let i = 0; i < 5; i++) engine.step();
    assert.deepEqual(
      engine.running.map((s) => s.id),
      ['a'],
    );
    assert.ok(engine.kvBlocksUsed > 0, 'a holds KV');
    a.abort();
    c.abort();
    assert.equal(outcomes.get('a')!.reason, 'abort');
    assert.equal(outcomes.get('c')!.reason, 'abort');
    assert.equal(engine.kvBlocksUsed, 0, 'KV freed at once');
    engine.step();
    assert.deepEqual(
      engine.running.map((s) => s.id),
      ['b'],
    );
    engine.runUntilIdle();
    assert.equal(outcomes.get('b')!.reason, 'stop');
    assert.equal(outcomes.get('b')!.result!.completionTokens, 4, 'three tokens plus EOS');
    assert.equal(engine.kvBlocksUsed, 0);
  });
});

describe('simulated engine: determinism', () => {
  function run(seed: number) {
    const { engine, outcomes, submit } = engineWith({}, { jitter: 0.1, seed });
    for (let i = 0; i < 20; i++) submit(`r${i}`, 300 + i * 10, 30);
    engine.runUntilIdle();
    return [...outcomes.values()].map((o) => o.tokenTimes);
  }

  it('reproduces the same step timings for the same seed, different ones for another', () => {
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('jitters step times by about ±10 %', () => {
    const { engine, submit } = engineWith({}, { jitter: 0.1, seed: 1 });
    const ratios: number[] = [];
    engine.observe({
      onStep: (s) => void ratios.push(s.durationMs / (BASE.t0 + BASE.a * s.decodeSeqs + BASE.b * s.prefillTokens)),
    });
    submit('r', 10, 2000);
    engine.runUntilIdle();
    const m = mean(ratios);
    const sd = Math.sqrt(mean(ratios.map((r) => (r - m) ** 2)));
    assert.ok(Math.abs(m - 1) < 0.02, `mean ${m}`);
    assert.ok(sd > 0.07 && sd < 0.13, `sd ${sd}`);
  });
});

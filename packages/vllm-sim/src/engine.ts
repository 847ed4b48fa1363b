/**
 * The simulated vLLM engine: one discrete-event step loop per replica, not a timer per request.
 *
 * Each step (see {@link planStep} in scheduler.ts) the scheduler picks sequences the way vLLM's V1 scheduler
 * does — running sequences first (one decode token each, or the next prefill chunk), then waiting ones while
 * `running < maxNumSeqs`, the step's token budget (`maxNumBatchedTokens`) lasts and KV blocks are free
 * (chunked prefill). The step takes `t0 + a·decoding + b·prefillTokens` ms (times a seeded lognormal jitter).
 * When it ends, every sequence whose known tokens are all computed samples one token. So TTFT = queue wait +
 * prefill steps, ITL = step time, and long prompts slow every decoding stream (prefill interference).
 *
 * Time: the engine has its own simulated clock (`now`, ms). With `clock: 'realtime'` steps are paced on the wall
 * clock (divided by `speed`); with `clock: 'manual'` nothing runs until `step()`/`runUntilIdle()` is called —
 * tests assert on simulated time and step counts, never on wall time.
 */
import {
  resolveEngineOptions,
  type EngineObserver,
  type EngineOptions,
  type EngineStats,
  type SequenceHandle,
  type StepRecord,
} from './engine-options.js';
import { KvCache } from './kv-cache.js';
import type { SimProfile } from './profiles.js';
import { Rng } from './random.js';
import { planStep, type SchedulingPolicy, type StepPlan } from './scheduler.js';
import { Sequence, type FinishReason, type SequenceListener, type SequenceSpec } from './sequence.js';
import { EOS_TOKEN_ID, tokenId } from './token-ids.js';

export type { FinishReason, SequenceListener, SequenceResult, SequenceSpec } from './sequence.js';
export type { SchedulingPolicy } from './scheduler.js';
export {
  DEFAULT_ENGINE_OPTIONS,
  resolveEngineOptions,
  type EngineObserver,
  type EngineOptions,
  type EngineStats,
  type SequenceHandle,
  type StepRecord,
} from './engine-options.js';

/** Catch-up is bounded so a stalled event loop does not turn into a burst of thousands of steps. */
const MAX_CATCH_UP_STEPS = 64;
const MAX_LAG_MS = 100;

/** The simulated vLLM engine: one step loop per replica (see the module note). */
export class Engine {
  readonly profile: SimProfile;
  readonly policy: SchedulingPolicy;
  readonly speed: number;
  readonly kvBlocksTotal: number;
  readonly kv: KvCache;
  /** Simulated time, ms. */
  now = 0;
  steps = 0;
  preemptions = 0;
  /** Waiting sequences, in scheduling order (fcfs: arrival, preempted first; priority: priority then arrival). */
  readonly waiting: Sequence[] = [];
  /** Running sequences in admission order. */
  readonly running: Sequence[] = [];

  private readonly observers: EngineObserver[] = [];
  private readonly rng: Rng;
  private readonly jitterSigma: number;
  private readonly manual: boolean;
  private arrivals = 0;
  private inFlight?: { plan: StepPlan; timer: ReturnType<typeof setTimeout>; wallStart: number; wallEnd: number };
  /** Wall-clock time (performance.now) at which simulated time `now` was reached. */
  private wallAtNow = performance.now();
  private stopped = false;

  constructor(engineOptions: EngineOptions) {
    const options = resolveEngineOptions(engineOptions);
    this.profile = options.profile;
    this.policy = options.policy;
    this.speed = options.speed;
    this.rng = new Rng(options.seed);
    this.jitterSigma = options.jitter;
    this.manual = options.clock === 'manual';
    this.kvBlocksTotal = Math.floor(this.profile.kvCacheTokens / options.blockSize);
    this.kv = new KvCache({
      numBlocks: this.kvBlocksTotal,
      blockSize: options.blockSize,
      caching: options.prefixCaching,
      hashSeed: options.hashSeed,
    });
  }

  /** Tokens per KV block. */
  get blockSize(): number {
    return this.kv.blockSize;
  }

  /** KV blocks referenced by sequences. */
  get kvBlocksUsed(): number {
    return this.kv.used;
  }

  observe(observer: EngineObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  get idle(): boolean {
    return this.waiting.length === 0 && this.running.length === 0;
  }

  stats(): EngineStats {
    return {
      nowMs: this.now,
      steps: this.steps,
      running: this.running.length,
      waiting: this.waiting.length,
      kvUsage: this.kv.usage,
      kvBlocksUsed: this.kv.used,
      kvBlocksTotal: this.kvBlocksTotal,
      preemptions: this.preemptions,
      policy: this.policy,
      prefixCaching: this.kv.caching,
      blockSize: this.kv.blockSize,
      cachedBlocks: this.kv.cachedBlockCount,
    };
  }

  /**
   * Queues a sequence. Callers validate lengths first (prompt + maxTokens ≤ maxModelLen, as vLLM's API server
   * does); the engine only refuses sequences that could never fit in the KV cache.
   */
  submit(spec: SequenceSpec, listener: SequenceListener): SequenceHandle {
    if (this.stopped) throw new Error('the engine is stopped');
    if (spec.promptTokens + spec.maxTokens > this.profile.kvCacheTokens) {
      throw new RangeError(
        `sequence needs ${spec.promptTokens + spec.maxTokens} tokens, the KV cache holds ${this.profile.kvCacheTokens}`,
      );
    }
    const seq = new Sequence(spec, listener, this.arrivalTime(), this.arrivals++);
    this.enqueue(seq, false);
    this.kick();
    return {
      id: seq.id,
      abort: () => this.abort(seq),
      get finished() {
        return seq.state === 'finished';
      },
    };
  }

  /** Runs one step at once (manual clock). Returns what it did, or undefined when there was nothing to do. */
  step(): StepRecord | undefined {
    if (!this.manual) throw new Error('step() is for engines with clock: "manual"');
    const plan = this.plan();
    return plan ? this.complete(plan) : undefined;
  }

  /** Steps until no sequence is left (manual clock). */
  runUntilIdle(maxSteps = 1_000_000): number {
    let n = 0;
    while (!this.idle && n < maxSteps && this.step()) n++;
    return n;
  }

  /** Lets simulated time pass with no work (manual clock), e.g. to space arrivals out. */
  advance(ms: number): void {
    if (!this.manual) throw new Error('advance() is for engines with clock: "manual"');
    if (!this.idle) throw new Error('advance() only while idle; use step() while work is queued');
    this.now += ms;
  }

  /** Aborts every sequence and stops the step loop. */
  stop(): void {
    this.stopped = true;
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    for (const seq of [...this.running, ...this.waiting]) this.abort(seq);
  }

  // ---- sequence lifecycle -------------------------------------------------------------------------------------

  private abort(seq: Sequence): void {
    if (seq.state === 'finished') return;
    this.finish(seq, 'abort');
  }

  private finish(seq: Sequence, reason: FinishReason): void {
    const list = seq.state === 'running' ? this.running : this.waiting;
    const i = list.indexOf(seq);
    if (i >= 0) list.splice(i, 1);
    this.kv.release(seq);
    seq.state = 'finished';
    seq.finishMs = this.now;
    for (const o of this.observers) o.onFinish?.(seq, reason);
    seq.listener.onFinish(reason, seq.result());
  }

  /** Puts a sequence in the waiting queue at its place for the policy. */
  private enqueue(seq: Sequence, preempted: boolean): void {
    seq.state = 'waiting';
    if (this.policy === 'fcfs') {
      // vLLM puts preempted requests back at the front, so they resume first.
      if (preempted) this.waiting.unshift(seq);
      else this.waiting.push(seq);
      return;
    }
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.waiting[mid]!.before(seq)) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, seq);
  }

  /** Preemption by recomputation (vLLM V1): KV is dropped, the sequence re-prefills prompt + generated tokens. */
  preempt(seq: Sequence): void {
    const i = this.running.indexOf(seq);
    if (i >= 0) this.running.splice(i, 1);
    this.kv.release(seq);
    seq.preemptions++;
    this.preemptions++;
    for (const o of this.observers) o.onPreempt?.(seq);
    this.enqueue(seq, true);
  }

  /** Leading prompt blocks of a waiting sequence found in the prefix cache. */
  cacheHits(seq: Sequence): number {
    return this.kv.lookup(seq, seq.knownTokens);
  }

  /** Free blocks once a waiting sequence has taken its `hits` cached blocks back. */
  freeAfterHits(seq: Sequence, hits: number): number {
    return this.kv.freeAfterHits(seq, hits);
  }

  /** Moves a waiting sequence (the head) to running, reusing its `hits` cached blocks. */
  admit(seq: Sequence, hits = 0): void {
    const i = this.waiting.indexOf(seq);
    if (i >= 0) this.waiting.splice(i, 1);
    seq.state = 'running';
    this.running.push(seq);
    this.kv.reuse(seq, hits);
    if (seq.preemptions === 0) {
      // vLLM counts new requests only (preempted ones go to separate preempted_* stats).
      seq.cachedPromptTokens = seq.computed;
      for (const o of this.observers) o.onPrefixCacheQuery?.(seq.knownTokens, seq.computed);
    }
  }

  /** Blocks a sequence needs to grow its KV by `tokens`. */
  blocksToGrow(seq: Sequence, tokens: number): number {
    return this.kv.blocksToGrow(seq, tokens);
  }

  allocate(seq: Sequence, blocks: number): void {
    this.kv.allocate(seq, blocks);
  }

  get kvBlocksFree(): number {
    return this.kv.free;
  }

  /** Drops the prefix cache (vLLM's `/reset_prefix_cache`); false while sequences hold blocks. */
  resetPrefixCache(): boolean {
    const ok = this.kv.reset();
    this.publishKvEvents();
    return ok;
  }

  private publishKvEvents(): void {
    const events = this.kv.takeEvents();
    if (events.length === 0) return;
    for (const o of this.observers) o.onKvEvents?.(events, this.now);
  }

  // ---- the step loop -----------------------------------------------------------------------------------------

  private plan(): StepPlan | undefined {
    const plan = planStep(this);
    if (!plan) return undefined;
    const p = this.profile;
    const base = p.t0 + p.a * plan.decodeSeqs + p.b * plan.prefillTokens;
    plan.durationMs = base * this.rng.jitter(this.jitterSigma);
    plan.startMs = this.now;
    for (const { seq } of plan.work) seq.firstScheduledMs ??= this.now;
    return plan;
  }

  /** Ends a step: advances the clock and lets every fully computed sequence sample one token. */
  private complete(plan: StepPlan): StepRecord {
    this.now = plan.startMs + plan.durationMs;
    this.steps++;
    for (const { seq, tokens } of plan.work) {
      // Aborted while the step ran: its work is discarded.
      if (seq.state !== 'running') continue;
      seq.computed += tokens;
      this.kv.commit(seq);
      if (seq.computed < seq.knownTokens) continue;
      this.sample(seq);
    }
    this.publishKvEvents();
    const record: StepRecord = {
      index: this.steps,
      startMs: plan.startMs,
      durationMs: plan.durationMs,
      decodeSeqs: plan.decodeSeqs,
      prefillTokens: plan.prefillTokens,
      running: this.running.length,
      waiting: this.waiting.length,
    };
    for (const o of this.observers) o.onStep?.(record);
    return record;
  }

  private sample(seq: Sequence): void {
    const interToken = seq.lastTokenMs === undefined ? undefined : this.now - seq.lastTokenMs;
    const first = seq.firstTokenMs === undefined;
    if (first) seq.firstTokenMs = this.now;
    seq.lastTokenMs = this.now;
    const token = seq.source.next();
    seq.generated++;
    seq.tokenIds?.push(token ? tokenId(token.text) : EOS_TOKEN_ID);
    if (first) for (const o of this.observers) o.onFirstToken?.(seq);
    for (const o of this.observers) o.onToken?.(seq, interToken);
    if (!token) {
      // EOS: counted as a completion token, carries no text (vLLM's final chunk has content "").
      this.finish(seq, 'stop');
      return;
    }
    seq.listener.onToken(token);
    if (seq.state !== 'running') return; // the listener aborted it (client gone, injected failure)
    if (seq.generated >= seq.maxTokens) this.finish(seq, 'length');
  }

  private arrivalTime(): number {
    if (this.manual) return this.now;
    const wall = performance.now();
    if (this.inFlight) {
      // Arrived during a step: place it inside that step's span of simulated time.
      const { plan, wallStart, wallEnd } = this.inFlight;
      const frac = wallEnd > wallStart ? Math.min(1, Math.max(0, (wall - wallStart) / (wallEnd - wallStart))) : 1;
      return plan.startMs + frac * plan.durationMs;
    }
    // Idle: simulated time has been passing with the wall clock.
    this.now += Math.max(0, wall - this.wallAtNow) * this.speed;
    this.wallAtNow = wall;
    return this.now;
  }

  /** Starts the realtime step loop if it is idle and there is work. */
  private kick(): void {
    if (this.manual || this.inFlight || this.stopped) return;
    this.scheduleNext(performance.now());
  }

  private scheduleNext(wallNow: number): void {
    const plan = this.plan();
    // Idle: `wallAtNow` stays paired with `now` (the end of the last step); the next arrival advances both.
    if (!plan) return;
    // Steps are paced from where simulated time says the last step ended, so timer lateness does not slow the
    // engine down; when the process stalls for long, pacing restarts from now instead of bursting.
    const wallStart = Math.max(this.wallAtNow, wallNow - MAX_LAG_MS);
    const wallEnd = wallStart + plan.durationMs / this.speed;
    const timer = setTimeout(() => this.onTimer(), Math.max(0, wallEnd - wallNow));
    this.inFlight = { plan, timer, wallStart, wallEnd };
  }

  private onTimer(): void {
    let batch = 0;
    for (;;) {
      const current = this.inFlight;
      if (!current || this.stopped) return;
      this.inFlight = undefined;
      this.complete(current.plan);
      this.wallAtNow = current.wallEnd;
      batch++;
      const wallNow = performance.now();
      this.scheduleNext(wallNow);
      const next = this.inFlight as typeof current | undefined;
      // Behind schedule: finish the next step right away (its tokens coalesce into the same write).
      if (!next || next.wallEnd > wallNow || batch >= MAX_CATCH_UP_STEPS) return;
      clearTimeout(next.timer);
      this.inFlight = next;
    }
  }
}

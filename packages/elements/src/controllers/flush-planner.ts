/**
 * Decides, once per animation frame, how much of a streaming answer to reveal — pure logic (no clock, no DOM)
 * so it can be tested by simulation.
 *
 * - Work per frame stays within a time budget: the planner learns the renderer's throughput (characters per
 *   millisecond, a moving average of measured flushes) and reveals what fits in `budgetMs`.
 * - It never falls behind by more than `maxLagFrames`: whatever the budget says, each frame reveals at least
 *   1/maxLagFrames of the backlog, so a backlog drains geometrically and the display lags the stream by at
 *   most about that many frames.
 * - A flush that costs more than the budget (a very large open table, say) spaces the next flush out by up to
 *   `maxLagFrames` frames, so one expensive tail cannot take every frame; such a spaced flush shows all that
 *   is pending.
 * - Given the time, flushes are at least `minIntervalMs` apart (every other frame at 60 Hz). Each flush
 *   costs the browser a style/layout/paint pass and the renderer a re-parse and re-sanitise of the open block
 *   whatever its size, so half as many flushes, each showing all that is pending, roughly halve the
 *   main-thread time of a stream; the lag stays within two frames.
 */
export interface FlushPlannerOptions {
  /** Main-thread time per frame the renderer aims to stay within (ms). Default 5. */
  budgetMs?: number;
  /** Largest lag, in frames, the display may have behind the received text. Default 2. */
  maxLagFrames?: number;
  /** Throughput assumed before the first measurement (characters per ms). Default 200. */
  initialCharsPerMs?: number;
  /**
   * Shortest time between two flushes when `plan` gets the time (ms). Default 20: every other frame at 60 Hz
   * (the frame after a flush comes 16.7 ms later, the one after that 33.3 ms), every third at 120 Hz. 0 flushes
   * on every frame.
   */
  minIntervalMs?: number;
}

/** The defaults of the optional {@link FlushPlannerOptions}. */
export const DEFAULT_FLUSH_PLANNER: Required<FlushPlannerOptions> = {
  budgetMs: 5,
  maxLagFrames: 2,
  initialCharsPerMs: 200,
  minIntervalMs: 20,
};

/** Planner options with every default filled in (an option left undefined takes its default). */
export function resolveFlushPlannerOptions(options: FlushPlannerOptions = {}): Required<FlushPlannerOptions> {
  const { budgetMs, maxLagFrames, initialCharsPerMs, minIntervalMs } = DEFAULT_FLUSH_PLANNER;
  return {
    budgetMs: options.budgetMs ?? budgetMs,
    maxLagFrames: options.maxLagFrames ?? maxLagFrames,
    initialCharsPerMs: options.initialCharsPerMs ?? initialCharsPerMs,
    minIntervalMs: options.minIntervalMs ?? minIntervalMs,
  };
}

/** A frame at 60 Hz (ms): given the time, the frames a caller slept through count toward a flush's spacing. */
const FRAME_MS = 1000 / 60;
/** Timers round their delay and can fire up to a millisecond early: a flush due that soon counts as due. */
export const FLUSH_EARLY_MS = 1;

export class FlushPlanner {
  readonly budgetMs: number;
  readonly maxLagFrames: number;
  readonly minIntervalMs: number;
  #received = 0;
  #shown = 0;
  #charsPerMs: number;
  #lastCostMs = 0;
  #framesSinceFlush = 0;
  #lastFlushAt = -Infinity;

  constructor(options: FlushPlannerOptions = {}) {
    const { budgetMs, maxLagFrames, initialCharsPerMs, minIntervalMs } = resolveFlushPlannerOptions(options);
    this.budgetMs = budgetMs;
    this.maxLagFrames = Math.max(1, maxLagFrames);
    this.#charsPerMs = initialCharsPerMs;
    this.minIntervalMs = minIntervalMs;
  }

  /** Characters received but not shown yet. */
  get pending(): number {
    return this.#received - this.#shown;
  }

  /** Characters shown so far. */
  get revealed(): number {
    return this.#shown;
  }

  /** The earliest frame time at which `plan(now)` may flush again (a caller can sleep until shortly before). */
  get nextFlushAt(): number {
    return this.#lastFlushAt + this.minIntervalMs;
  }

  /** The received text is now `length` characters long (a shorter text restarts: edit or regenerate). */
  receive(length: number): void {
    if (length < this.#shown) this.#shown = 0;
    this.#received = length;
  }

  /**
   * Called once per animation frame (with the frame's time, e.g. the `requestAnimationFrame` timestamp): how
   * many more characters to show now (0 = skip this frame). The caller renders them, then reports the cost
   * with `record`.
   */
  plan(now?: number): number {
    const pending = this.pending;
    if (pending <= 0) return 0;
    this.#framesSinceFlush++;
    // A caller that sleeps until the flush is due never asks for the frames in between: count them by time, or an
    // expensive last flush (spacing 2) would cost one more frame of lag after the interval (seen in the bench).
    if (now !== undefined)
      this.#framesSinceFlush = Math.max(this.#framesSinceFlush, Math.round((now - this.#lastFlushAt) / FRAME_MS));
    const spacing = Math.min(this.maxLagFrames, Math.max(1, Math.ceil(this.#lastCostMs / this.budgetMs)));
    if (this.#framesSinceFlush < spacing) return 0;
    if (now !== undefined && now - this.#lastFlushAt < this.minIntervalMs - FLUSH_EARLY_MS) return 0;
    const withinBudget = Math.max(1, Math.floor(this.budgetMs * this.#charsPerMs));
    // A flush after skipped frames (or, given the time, after the interval: the frame in between was skipped, if
    // only by not being requested) shows everything: with fewer flushes, each must catch up fully to keep the lag.
    const skipped = spacing > 1 || this.#framesSinceFlush > 1 || (now !== undefined && this.minIntervalMs > 0);
    const catchUp = skipped ? pending : Math.ceil(pending / this.maxLagFrames);
    const count = Math.min(pending, Math.max(withinBudget, catchUp));
    this.#shown += count;
    this.#framesSinceFlush = 0;
    if (now !== undefined) this.#lastFlushAt = now;
    return count;
  }

  /** Shows everything at once (the stream ended and the caller wants the final render now). */
  drain(): number {
    const count = this.pending;
    this.#shown = this.#received;
    this.#framesSinceFlush = 0;
    return count;
  }

  /** The flush of `chars` characters took `ms` of main-thread time. */
  record(chars: number, ms: number): void {
    this.#lastCostMs = ms;
    if (chars <= 0 || ms <= 0) return;
    const sample = chars / ms;
    this.#charsPerMs = this.#charsPerMs * 0.7 + sample * 0.3;
  }
}

/**
 * The frame planner's logic, by simulation (a simulated clock and cost model, no real timing): budget per
 * frame, catch-up so the display never lags by more than a couple of frames at 1,000 tokens/s, frame spacing
 * after an expensive flush.
 */
import { expect } from '@open-wc/testing';
import { FlushPlanner } from '../src/controllers/flush-planner.js';

const FRAME_MS = 1000 / 60;

interface Simulation {
  maxLagFrames: number;
  flushes: number;
  frames: number;
  maxCostMs: number;
}

/**
 * Streams `tokens` tokens of `charsPerToken` characters at `tokensPerSecond`, delivered in batches every
 * `batchMs` (as the relay sends them), and runs one planner decision per frame. `cost(chars)` is the simulated
 * main-thread time of rendering that many new characters. Lag = age (in frames) of the oldest unshown char.
 */
function simulate(
  planner: FlushPlanner,
  cost: (chars: number) => number,
  tokens = 10_000,
  tokensPerSecond = 1000,
  charsPerToken = 4,
  batchMs = 20,
  timed = false,
): Simulation {
  const arrivals: number[] = []; // arrival time of each received char
  const endMs = (tokens / tokensPerSecond) * 1000;
  let nextBatch = 0;
  let received = 0;
  const result: Simulation = { maxLagFrames: 0, flushes: 0, frames: 0, maxCostMs: 0 };
  for (let now = 0; now < endMs + 60 * FRAME_MS; now += FRAME_MS) {
    while (nextBatch <= now && nextBatch < endMs) {
      const count = Math.round((batchMs / 1000) * tokensPerSecond * charsPerToken);
      for (let i = 0; i < count; i++) arrivals.push(nextBatch);
      received += count;
      nextBatch += batchMs;
    }
    planner.receive(received);
    // Given the time, the stream asks for a frame only once a flush is due (it sleeps until then).
    const count = !timed ? planner.plan() : now >= planner.nextFlushAt ? planner.plan(now) : 0;
    result.frames++;
    if (count > 0) {
      const ms = cost(count);
      planner.record(count, ms);
      result.flushes++;
      result.maxCostMs = Math.max(result.maxCostMs, ms);
    }
    const oldest = arrivals[planner.revealed];
    if (oldest !== undefined) result.maxLagFrames = Math.max(result.maxLagFrames, (now - oldest) / FRAME_MS);
  }
  expect(planner.revealed).to.equal(received);
  return result;
}

describe('FlushPlanner', () => {
  it('does nothing while nothing is pending', () => {
    const planner = new FlushPlanner();
    expect(planner.plan()).to.equal(0);
    planner.receive(0);
    expect(planner.plan()).to.equal(0);
  });

  it('shows everything at once when it fits the budget', () => {
    const planner = new FlushPlanner({ budgetMs: 5, initialCharsPerMs: 100 });
    planner.receive(120);
    expect(planner.plan()).to.equal(120);
    expect(planner.pending).to.equal(0);
  });

  it('caps a frame at the budget, but never below 1/maxLagFrames of the backlog', () => {
    const planner = new FlushPlanner({ budgetMs: 5, maxLagFrames: 2, initialCharsPerMs: 10 });
    planner.receive(40);
    expect(planner.plan()).to.equal(40); // 40 ≤ 50 fits the budget
    planner.receive(40 + 80);
    expect(planner.plan()).to.equal(50); // budget: 5 ms × 10 chars/ms
    planner.receive(120 + 1000);
    expect(planner.plan()).to.equal(Math.ceil(1030 / 2)); // catch-up beats the budget
  });

  it('learns the renderer throughput from measured flushes', () => {
    const planner = new FlushPlanner({ budgetMs: 4, maxLagFrames: 1000, initialCharsPerMs: 1000 });
    for (let i = 0; i < 20; i++) planner.record(100, 10); // 10 chars/ms measured
    planner.record(10, 1); // the last flush was cheap: no spacing
    planner.receive(10_000);
    expect(planner.plan()).to.be.within(40, 45);
  });

  it('spaces flushes out after one that cost more than the budget (at most maxLagFrames apart)', () => {
    const planner = new FlushPlanner({ budgetMs: 5, maxLagFrames: 2 });
    planner.receive(10);
    expect(planner.plan()).to.equal(10);
    planner.record(10, 30); // far over budget
    planner.receive(2000);
    expect(planner.plan()).to.equal(0);
    expect(planner.plan()).to.equal(1990); // the spaced flush shows everything pending
  });

  it('drain() shows everything; a shorter text (edit, regenerate) starts over', () => {
    const planner = new FlushPlanner({ budgetMs: 1, initialCharsPerMs: 1 });
    planner.receive(5000);
    expect(planner.drain()).to.equal(5000);
    planner.receive(10);
    expect(planner.revealed).to.equal(0);
    expect(planner.plan()).to.equal(5); // the budget allows 1 char; catch-up shows half the backlog
  });

  it('1,000 tokens/s with a cheap renderer: one flush per frame with new text, lag ≤ 2 frames', () => {
    const sim = simulate(new FlushPlanner(), (chars) => 0.3 + chars * 0.002);
    expect(sim.maxLagFrames).to.be.at.most(2);
    expect(sim.maxCostMs).to.be.below(5);
  });

  it('given the frame time: every other frame at 60 Hz, each showing all that is pending, lag ≤ 2 frames', () => {
    for (const batchMs of [1, 10, 20, 50]) {
      const sim = simulate(new FlushPlanner(), (chars) => 0.3 + chars * 0.002, 10_000, 1000, 4, batchMs, true);
      // Batches 50 ms apart arrive less often than every other frame: one flush each.
      const expected = batchMs > 2 * FRAME_MS ? 10_000 / batchMs : sim.frames / 2;
      expect(sim.flushes, `batches every ${batchMs} ms`).to.be.within(expected * 0.9, expected * 1.1);
      expect(sim.maxLagFrames, `batches every ${batchMs} ms`).to.be.at.most(2);
    }
    const everyFrame = simulate(
      new FlushPlanner({ minIntervalMs: 0 }),
      (chars) => 0.3 + chars * 0.002,
      10_000,
      1000,
      4,
      1,
      true,
    );
    expect(everyFrame.flushes).to.be.greaterThan(everyFrame.frames * 0.9);
  });

  it('given the time, a renderer too slow for the budget or an expensive tail: lag still ≤ 2 frames', () => {
    // Flushes only when due, as the stream's scheduler asks for a frame only then.
    const slow = simulate(new FlushPlanner({ budgetMs: 5 }), (chars) => 1 + chars * 0.2, 10_000, 1000, 4, 10, true);
    expect(slow.maxLagFrames).to.be.at.most(2);
    const expensive = simulate(new FlushPlanner({ budgetMs: 5 }), () => 12, 10_000, 1000, 4, 10, true);
    expect(expensive.maxLagFrames).to.be.at.most(2);
  });

  it('given the frame time: text after a pause shows on the next frame', () => {
    const planner = new FlushPlanner();
    planner.receive(10);
    expect(planner.plan(1000)).to.equal(10);
    planner.receive(20);
    expect(planner.plan(1000 + FRAME_MS)).to.equal(0);
    expect(planner.plan(1000 + 2 * FRAME_MS)).to.equal(10);
    planner.receive(30);
    expect(planner.plan(2000)).to.equal(10);
  });

  it('given the time, frames slept through count toward the spacing after an expensive flush', () => {
    // The stream sleeps until the interval has passed and asks for no frame in between. A flush over the
    // budget asks for two frames of spacing; by the next frame after the interval, two frames have passed.
    const planner = new FlushPlanner({ budgetMs: 5 });
    planner.receive(100);
    expect(planner.plan(1000)).to.equal(100);
    planner.record(100, 5.5);
    planner.receive(200);
    expect(planner.plan(1000 + 2 * FRAME_MS - 0.5)).to.equal(100);
    // Without the time, frames are counted as asked for: the spaced flush waits for its second frame.
    const counting = new FlushPlanner({ budgetMs: 5 });
    counting.receive(100);
    expect(counting.plan()).to.equal(100);
    counting.record(100, 5.5);
    counting.receive(200);
    expect(counting.plan()).to.equal(0);
    expect(counting.plan()).to.equal(100);
  });

  it('given the time, a flush due within a millisecond counts as due (timers round their delay)', () => {
    const planner = new FlushPlanner();
    planner.receive(10);
    expect(planner.plan(1000)).to.equal(10);
    planner.receive(20);
    const last = 1000 + planner.minIntervalMs - 0.6;
    expect(planner.plan(last)).to.equal(10);
    planner.receive(30);
    expect(planner.plan(last + FRAME_MS), 'the next frame is still too early').to.equal(0);
    expect(planner.plan(last + 2 * FRAME_MS)).to.equal(10);
  });

  it('1,000 tokens/s with a renderer too slow for the budget: catch-up keeps the lag ≤ 2 frames', () => {
    // 0.2 ms per character: a 5 ms budget allows 25 chars/frame against ~67 arriving.
    const sim = simulate(new FlushPlanner({ budgetMs: 5 }), (chars) => 1 + chars * 0.2);
    expect(sim.maxLagFrames).to.be.at.most(2.5);
  });

  it('1,000 tokens/s with an expensive tail (12 ms per flush): flushes spaced out, lag still bounded', () => {
    const sim = simulate(new FlushPlanner({ budgetMs: 5, maxLagFrames: 2 }), () => 12);
    expect(sim.flushes).to.be.lessThan(sim.frames * 0.6);
    expect(sim.maxLagFrames).to.be.at.most(3.5);
  });
});

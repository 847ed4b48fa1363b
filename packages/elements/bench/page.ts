/**
 * Runs in the benchmark page: streams a markdown answer token by token in real time and renders it either
 * with the elements' pipeline (frame-budgeted, block-incremental) or by a full re-parse per chunk (what
 * renderers without incremental parsing do), and reports the main-thread time spent rendering.
 */
import { StreamingMarkdown } from '../src/controllers/streaming-markdown.js';
import { renderMarkdown } from '../src/markdown/render-markdown.js';

export interface RunOptions {
  /** `none` streams without rendering: the harness's own cost (timers, frames), subtracted as a baseline. */
  strategy: 'incremental' | 'full' | 'none';
  tokens: string[];
  tokensPerSecond: number;
  /** How often a chunk of tokens arrives (ms), as a relay batches them. */
  chunkMs: number;
  /** The flush planner's shortest interval between flushes (ms); its default when absent. */
  minIntervalMs?: number;
}

export interface RunResult {
  strategy: string;
  /** Time inside our render calls (parse + DOM), ms. */
  renderMs: number;
  renders: number;
  longestRenderMs: number;
  wallMs: number;
  finalHtmlLength: number;
  /** Delay from a chunk's arrival to the end of the render that shows it (ms): the worst and the mean. */
  maxLagMs: number;
  meanLagMs: number;
  /** The same delay counted from when the page got the chunk (its task ran), not from when it was due. */
  maxLagFromDeliveryMs: number;
  /**
   * How late the harness delivered chunks: the task that hands a chunk over runs after its due time (timer
   * and scheduling delay). In the no-render run this is the machine's own floor for the lag above.
   */
  maxLateMs: number;
  meanLateMs: number;
  /** The longest gap between two animation-frame callbacks during the run (ms): 16.7 at 60 Hz when nothing stalls. */
  maxFrameGapMs: number;
  /** The incremental renderer's counters (what each update did). */
  stats?: Record<string, number>;
}

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
/** A new task right away (setTimeout(0) is clamped to 4 ms when nested): each chunk arrives in its own task, as a socket message would. */
const channel = new MessageChannel();
const yieldTask = () =>
  new Promise<void>((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

async function run(options: RunOptions): Promise<RunResult> {
  const container = document.createElement('div');
  container.className = 'answer';
  document.body.replaceChildren(container);
  let renderMs = 0;
  let renders = 0;
  let longest = 0;
  /** Each chunk's arrival time and the text length once it arrived; `shownUpTo` marks those rendered so far. */
  const arrivals: { at: number; deliveredAt: number; length: number }[] = [];
  let shownUpTo = 0;
  let maxLag = 0;
  let lagSum = 0;
  let maxLagFromDelivery = 0;
  let maxLate = 0;
  let lateSum = 0;
  const timed = (fn: () => void, shownLength: number) => {
    const t0 = performance.now();
    fn();
    const end = performance.now();
    const ms = end - t0;
    renderMs += ms;
    renders++;
    longest = Math.max(longest, ms);
    for (; shownUpTo < arrivals.length && arrivals[shownUpTo]!.length <= shownLength; shownUpTo++) {
      const lag = end - arrivals[shownUpTo]!.at;
      maxLag = Math.max(maxLag, lag);
      maxLagFromDelivery = Math.max(maxLagFromDelivery, end - arrivals[shownUpTo]!.deliveredAt);
      lagSum += lag;
    }
  };

  let stream: StreamingMarkdown | undefined;
  if (options.strategy === 'incremental') {
    stream = new StreamingMarkdown(
      container,
      options.minIntervalMs === undefined ? {} : { planner: { minIntervalMs: options.minIntervalMs } },
    );
    // Measure each frame's flush: wrap the renderer's update/finish.
    const renderer = stream.renderer;
    const update = renderer.update.bind(renderer);
    const finish = renderer.finish.bind(renderer);
    renderer.update = (text: string) => timed(() => update(text), text.length);
    renderer.finish = (text?: string) => timed(() => finish(text), Infinity);
  }

  // Frames keep coming while the stream runs: the longest gap between two frame callbacks (when they ran, not
  // the frames' vsync timestamps, which hide a busy main thread) is the page's own floor under the lag.
  let maxFrameGap = 0;
  let lastFrame = performance.now();
  let watching = true;
  const watchFrames = (): void => {
    const now = performance.now();
    maxFrameGap = Math.max(maxFrameGap, now - lastFrame);
    lastFrame = now;
    if (watching) requestAnimationFrame(watchFrames);
  };
  requestAnimationFrame(watchFrames);

  const started = performance.now();
  let text = '';
  let next = 0;
  const perChunk = Math.max(1, Math.round((options.tokensPerSecond * options.chunkMs) / 1000));
  while (next < options.tokens.length) {
    const due = started + (next / options.tokensPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    else await yieldTask();
    const late = Math.max(0, performance.now() - due);
    maxLate = Math.max(maxLate, late);
    lateSum += late;
    const chunk = options.tokens.slice(next, next + perChunk).join('');
    next += perChunk;
    text += chunk;
    // The chunk arrived when it was due: a renderer that holds up the stream is behind by that much.
    arrivals.push({ at: due, deliveredAt: performance.now(), length: text.length });
    if (stream) stream.set(text, false);
    else if (options.strategy === 'full') timed(() => (container.innerHTML = renderMarkdown(text)), text.length);
  }
  if (stream) {
    stream.set(text, true);
    while (!stream.renderer.isFinished) await frame();
  }
  // Up to here: the no-render baseline's one render below is a long task of its own, not a gap in the stream.
  watching = false;
  const frameGap = maxFrameGap;
  if (options.strategy === 'none') container.innerHTML = renderMarkdown(text);
  await frame();
  return {
    strategy: options.strategy,
    renderMs,
    renders,
    longestRenderMs: longest,
    wallMs: performance.now() - started,
    finalHtmlLength: container.innerHTML.length,
    maxLagMs: maxLag,
    maxLagFromDeliveryMs: maxLagFromDelivery,
    meanLagMs: shownUpTo > 0 ? lagSum / shownUpTo : 0,
    maxLateMs: maxLate,
    maxFrameGapMs: frameGap,
    meanLateMs: arrivals.length > 0 ? lateSum / arrivals.length : 0,
    ...(stream ? { stats: { ...stream.renderer.stats } } : {}),
  };
}

(globalThis as { llcBench?: typeof run }).llcBench = run;

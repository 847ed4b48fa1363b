/**
 * Runs in the UI responsiveness benchmark page (ui-responsiveness.mjs). Two measurements of what a reader
 * feels, each against a baseline in the same page:
 *  - `highlight`: a large code block closes; highlighted on the main thread vs in the worker. Reports the
 *    longest main-thread stall (frame gap) and the time until the block is highlighted.
 *  - `history`: a 10k-message transcript scrolled frame by frame while an answer streams into it at
 *    1,000 tokens/s, vs the same scrolling with no stream. Reports frame times and the rendered row count.
 */
import type { ClientMessage } from '@locallightchat/client';
import { configureHighlighting, highlightStats } from '../src/code/highlighter.js';
import '../src/llc-message.js';
import '../src/llc-message-list.js';

const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

/** Records the gaps between animation frames until stopped (a gap > 16.7 ms is a frame the reader missed). */
function frameGaps(): { stop(): number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  let running = true;
  const tick = (now: number) => {
    gaps.push(now - last);
    last = now;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return {
    stop() {
      running = false;
      return gaps;
    },
  };
}

export interface HighlightResult {
  mode: 'inline' | 'worker';
  chars: number;
  /** From setting the text to the highlighted spans being in the DOM. */
  msToHighlighted: number;
  /** Longest gap between frames from the final plain block to a few frames after it is highlighted. */
  longestFrameGapMs: number;
  framesOver50Ms: number;
  stats: typeof highlightStats;
}

async function highlight(options: {
  mode: 'inline' | 'worker';
  chars: number;
  workerUrl: string;
}): Promise<HighlightResult> {
  configureHighlighting(
    options.mode === 'inline'
      ? { workerUrl: null, inlineMaxChars: 10_000_000 }
      : { workerUrl: options.workerUrl, inlineMaxChars: 2_000 },
  );
  const lines: string[] = [];
  for (let i = 0, n = 0; n < options.chars; i++) {
    const line = `export async function step${i}(input: Record<string, number>): Promise<number> { return (await fetch("/api/${i}")).status + input.k${i % 10}; }\n`;
    lines.push(line);
    n += line.length;
  }
  const code = lines.join('');
  const message = document.createElement('llc-message');
  message.setAttribute('role-name', 'assistant');
  message.style.cssText = 'display:block;height:600px;overflow:auto';
  document.body.replaceChildren(message);
  for (let i = 0; i < 5; i++) await frame();
  const started = performance.now();
  message.text = '```ts\n' + code + '```\n';
  // Rendering the plain block costs the same either way; measure from when it is final (decorated with its
  // toolbar), which is when highlighting is scheduled.
  while (!message.shadowRoot?.querySelector('[part="copy-button"]')) await frame();
  const gaps = frameGaps();
  while (!message.shadowRoot?.querySelector('code.hljs')) await frame();
  const msToHighlighted = performance.now() - started;
  for (let i = 0; i < 5; i++) await frame();
  const measured = gaps.stop();
  return {
    mode: options.mode,
    chars: code.length,
    msToHighlighted,
    longestFrameGapMs: Math.max(...measured),
    framesOver50Ms: measured.filter((g) => g > 50).length,
    stats: { ...highlightStats },
  };
}

export interface HistoryResult {
  streaming: boolean;
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  maxFrameMs: number;
  framesOver50Ms: number;
  maxRenderedRows: number;
  streamedChars: number;
}

function historyMessage(i: number): ClientMessage {
  const role = i % 2 === 0 ? 'user' : 'assistant';
  const text =
    role === 'user'
      ? `Question number ${i}: how does the relay keep ${i % 50} tabs in sync?`
      : `Answer ${i}.\n\n- point one about **streams** and \`seq\`\n- point two with a [link](https://example.com/${i})\n\n${'Some words to wrap around the transcript. '.repeat(1 + (i % 9))}`;
  return { key: `m${i}`, role, text, reasoning: '', createdAt: i, status: 'done', lastSeq: 0 };
}

async function history(options: {
  streaming: boolean;
  seconds: number;
  tokens: string[];
  tokensPerSecond: number;
}): Promise<HistoryResult> {
  const list = document.createElement('llc-message-list');
  list.style.cssText = 'display:block;height:800px;width:760px';
  document.body.replaceChildren(list);
  const past = Array.from({ length: 10_000 }, (_, i) => historyMessage(i));
  list.messages = past;
  for (let i = 0; i < 10; i++) await frame();
  const log = list.shadowRoot!.querySelector<HTMLElement>('.log')!;
  const rows = () => list.shadowRoot!.querySelectorAll('llc-message').length;

  // The stream: chunks every 10 ms in their own tasks (as socket messages arrive), like the markdown bench.
  let text = '';
  let streaming = options.streaming;
  const streamDone = (async () => {
    if (!streaming) return;
    const started = performance.now();
    for (let next = 0; next < options.tokens.length && streaming;) {
      const due = started + (next / options.tokensPerSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      const perChunk = Math.max(1, Math.round(options.tokensPerSecond / 100));
      text += options.tokens.slice(next, next + perChunk).join('');
      next += perChunk;
      list.messages = [
        ...past,
        { ...historyMessage(10_000), key: 'live', role: 'assistant', text, status: 'streaming' },
      ];
    }
  })();

  // The reader: scrolls up 60 px per frame for half the time, then down again (away from the stream and back).
  const gaps = frameGaps();
  let maxRows = 0;
  const end = performance.now() + options.seconds * 1000;
  const turn = performance.now() + (options.seconds * 1000) / 2;
  while (performance.now() < end) {
    log.scrollTop += performance.now() < turn ? -60 : 60;
    await frame();
    maxRows = Math.max(maxRows, rows());
  }
  const measured = gaps.stop().slice(2);
  streaming = false;
  await streamDone;
  const sorted = [...measured].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return {
    streaming: options.streaming,
    frames: measured.length,
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    maxFrameMs: sorted[sorted.length - 1]!,
    framesOver50Ms: measured.filter((g) => g > 50).length,
    maxRenderedRows: maxRows,
    streamedChars: text.length,
  };
}

(globalThis as { llcUi?: unknown }).llcUi = { highlight, history };

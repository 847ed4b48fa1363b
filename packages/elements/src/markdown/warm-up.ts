/**
 * Warms the markdown renderer once, in idle time, as soon as its chunk has arrived. Without it the first flush of
 * the first answer pays for making markdown-it and DOMPurify and for the first runs of their code (the engine
 * compiles a function when it first runs): with Chromium's CPU throttled 4×, the first render of a 1.5 KB prefix
 * of the benchmark's answer took 229–651 ms in a fresh page and 37–103 ms after the warm-up (six runs each,
 * alternating, load 5–8). The steps then take up to 137–194 ms of idle time between them, the first parse and
 * the first sanitising the most: that is compiling, which smaller samples do not shorten.
 *
 * One step per idle callback, so the warm-up yields to whatever else the page does; everything is rendered into
 * a detached element, so the page sees nothing. Where the browser has no `requestIdleCallback` (Safari), each
 * step waits for a timer instead.
 */
import { IncrementalMarkdown } from './incremental.js';
import { sanitizeToFragment, sharedMarkdown } from './render-markdown.js';

/** A little of everything an answer has, in parts small enough for one idle callback each. */
const PARTS = [
  '# Title\n\nText with *emphasis*, **strong**, `code`, ~~struck~~ and a [link](https://example.com).\n',
  '- one\n- two\n\n1. first\n\n> quoted\n',
  '| a | b |\n|---|--:|\n| 1 | 2 |\n',
  '```js\nlet x = 1;\n```\n',
];
const SAMPLE = PARTS.join('\n');

let started = false;

/** Schedules `task` when the page is idle. */
function whenIdle(task: () => void): void {
  if ('requestIdleCallback' in globalThis) requestIdleCallback(task);
  else setTimeout(task, 50);
}

/** Starts the warm-up (once per page); `idle` schedules each step (tests pass their own). */
export function warmUp(idle: (task: () => void) => void = whenIdle): void {
  if (started) return;
  started = true;
  const md = () => sharedMarkdown();
  const steps = [
    md,
    ...PARTS.map((part) => () => md().parse(part, {})),
    ...PARTS.map((part) => () => sanitizeToFragment(md().render(part))),
    () => new IncrementalMarkdown(document.createElement('div')).update(SAMPLE.slice(0, -12)),
    () => new IncrementalMarkdown(document.createElement('div')).finish(SAMPLE),
  ];
  const next = () => {
    const step = steps.shift();
    if (!step) return;
    step();
    idle(next);
  };
  idle(next);
}

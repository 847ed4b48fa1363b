#!/usr/bin/env node
/**
 * Streaming on a phone-class CPU: the whole `<llc-message-list>` receives a 10k-token answer at 1,000 tokens/s
 * (one chunk per task every 10 ms) in headless Chromium with its CPU throttled 4× (CDP
 * Emulation.setCPUThrottlingRate), against a baseline that runs the same timers and renders nothing, in the
 * same run. Reports main-thread long tasks (PerformanceObserver 'longtask': over 50 ms; goal: none), the
 * main thread's task time over the run (CDP Performance.getMetrics TaskDuration delta, throttled ms), and the
 * spacing of the live region's announcements (goal: at least 400 ms apart). The load average is printed with
 * the figures: the machine is shared and throttling multiplies its noise.
 *
 *   node packages/elements/bench/throttled-stream.mjs   (options: --rounds N, --rate R, --tokens N, --tps N, --chunk-ms N)
 */
import { loadavg } from 'node:os';
import { answer } from './answer.mjs';
import { bundleForPage, launchChromium, numberArg as arg, writeResult } from './harness.mjs';
import { longTasksOf, TRACE_CATEGORIES } from './long-task-trace.mjs';

const rounds = arg('rounds', 2);
const rate = arg('rate', 4);
const tokenCount = arg('tokens', 10_000);
const tokensPerSecond = arg('tps', 1000);
const chunkMs = arg('chunk-ms', 10);
/** `--trace FILE`: one more run of `--trace-kind` (list, message or baseline) traced, its long tasks attributed. */
const traceAt = process.argv.indexOf('--trace');
const traceFile = traceAt === -1 ? undefined : process.argv[traceAt + 1];
const kindAt = process.argv.indexOf('--trace-kind');
const traceKind = kindAt === -1 ? 'list' : process.argv[kindAt + 1];

const bundle = await bundleForPage('throttled-page.ts', { minify: !traceFile });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 412, height: 839 } });
await page.setContent(
  '<!doctype html><html><head><style>body{font:16px system-ui;margin:0}</style></head><body></body></html>',
);
await page.addScriptTag({ content: bundle, type: 'module' });
await page.waitForFunction(() => 'llcThrottled' in globalThis);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Emulation.setCPUThrottlingRate', { rate });
await cdp.send('Performance.enable');
/** The page's counters: TaskDuration (wall, s), LayoutCount, RecalcStyleCount. */
const metrics = async () =>
  Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));

const tokens = answer(tokenCount);
const load = [];
const results = { baseline: [], message: [], list: [] };
const kinds = ['baseline', 'message', 'list'];
for (let round = 0; round < rounds; round++) {
  for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
    load.push(loadavg()[0]);
    const before = await metrics();
    const r = await page.evaluate((o) => globalThis.llcThrottled(o), {
      tokens,
      tokensPerSecond,
      chunkMs,
      target: kind === 'baseline' ? 'none' : kind,
    });
    const after = await metrics();
    r.taskMs = (after.TaskDuration - before.TaskDuration) * 1000;
    // Wall time inflates with the machine's load (the renderer waits for a core); the counts of layouts and
    // style recalcs say how much work there was whatever the load. (Not ThreadTime: under throttling it counts
    // the throttler's pauses too, 6.3 s of the baseline's 10.5 s at load 14.)
    r.layouts = after.LayoutCount - before.LayoutCount;
    r.styles = after.RecalcStyleCount - before.RecalcStyleCount;
    results[kind].push(r);
    const long = r.longTasks;
    console.log(
      `${kind.padEnd(8)} round ${round + 1}: long tasks ${long.length}` +
        (long.length ? ` (max ${Math.max(...long).toFixed(0)} ms, ${long.map((d) => d.toFixed(0)).join(', ')})` : '') +
        (kind !== 'baseline'
          ? `; announcements ${r.announcements}, min gap ${r.announceGaps.length ? Math.min(...r.announceGaps).toFixed(0) : '–'} ms`
          : '') +
        `; main thread ${r.taskMs.toFixed(0)} ms (${r.layouts} layouts, ${r.styles} style recalcs)` +
        `; ${(r.elapsedMs / 1000).toFixed(1)} s; load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
if (traceFile) {
  await browser.startTracing(page, { path: traceFile, categories: TRACE_CATEGORIES.split(',') });
  const r = await page.evaluate((o) => globalThis.llcThrottled(o), {
    tokens,
    tokensPerSecond,
    chunkMs,
    target: traceKind === 'baseline' ? 'none' : traceKind,
  });
  await browser.stopTracing();
  console.log(`traced ${traceKind} run: long tasks ${r.longTasks.map((d) => d.toFixed(0)).join(', ') || 'none'}`);
  await longTasksOf(traceFile);
}
await browser.close();

const summary = (runs) => {
  const long = runs.flatMap((r) => r.longTasks);
  const gaps = runs.flatMap((r) => r.announceGaps);
  return {
    runs: runs.length,
    longTasks: runs.map((r) => r.longTasks.length),
    longestTaskMs: long.length ? Math.max(...long) : 0,
    taskMs: runs.map((r) => Math.round(r.taskMs)),
    layouts: runs.map((r) => r.layouts),
    styles: runs.map((r) => r.styles),
    announcements: runs.map((r) => r.announcements),
    minAnnounceGapMs: gaps.length ? Math.min(...gaps) : null,
  };
};
const list = summary(results.list);
const message = summary(results.message);
const baseline = summary(results.baseline);
const loadText = `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}`;
console.log(
  `list at ${rate}× throttle: long tasks per run ${list.longTasks.join(', ')} (longest ${list.longestTaskMs.toFixed(0)} ms; main thread ${list.taskMs.join(', ')} ms); ` +
    `message alone ${message.longTasks.join(', ')} (longest ${message.longestTaskMs.toFixed(0)} ms; ${message.taskMs.join(', ')} ms); ` +
    `baseline ${baseline.longTasks.join(', ')} (${baseline.taskMs.join(', ')} ms); ` +
    `layouts list ${list.layouts.join(', ')} / message ${message.layouts.join(', ')}; announcement min gap ${list.minAnnounceGapMs?.toFixed(0)} ms; load ${loadText}`,
);
writeResult('throttled-stream', {
  title: `Streaming on a phone-class CPU (Chromium throttled ${rate}×)`,
  command: `node packages/elements/bench/throttled-stream.mjs --rounds ${rounds} --rate ${rate}`,
  json: { rate, tokens: tokenCount, tokensPerSecond, chunkMs, list, message, baseline, loadAverage: load },
  body: [
    `A ${tokenCount.toLocaleString('en')}-token answer at ${tokensPerSecond.toLocaleString('en')} tokens/s (a chunk every ${chunkMs} ms, each in`,
    `its own task) into a whole \`<llc-message-list>\`, CPU throttled ${rate}× (CDP Emulation.setCPUThrottlingRate), 412 × 839`,
    "viewport; the same answer into one `<llc-message>` alone (no list, no virtualizer) tells the list's share; the baseline runs the same timers and renders nothing. Long tasks: PerformanceObserver `longtask` (> 50 ms).",
    'Main-thread task ms is wall time and grows with the load; layouts (Performance.getMetrics LayoutCount) count the work.',
    '',
    '| | runs | long tasks per run | longest | main-thread task ms per run | layouts per run | announcements per run | min gap between announcements |',
    '|---|---|---|---|---|---|---|---|',
    `| list | ${list.runs} | ${list.longTasks.join(', ')} (goal 0) | ${list.longestTaskMs.toFixed(0)} ms | ${list.taskMs.join(', ')} | ${list.layouts.join(', ')} | ${list.announcements.join(', ')} | ${list.minAnnounceGapMs?.toFixed(0) ?? '–'} ms (goal ≥ 400) |`,
    `| \`<llc-message>\` alone | ${message.runs} | ${message.longTasks.join(', ')} | ${message.longestTaskMs.toFixed(0)} ms | ${message.taskMs.join(', ')} | ${message.layouts.join(', ')} | ${message.announcements.join(', ')} | |`,
    `| baseline | ${baseline.runs} | ${baseline.longTasks.join(', ')} | ${baseline.longestTaskMs.toFixed(0)} ms | ${baseline.taskMs.join(', ')} | ${baseline.layouts.join(', ')} | | |`,
    '',
    `Load average (1 min) during the runs: ${loadText} on a shared 2-core machine.`,
  ].join('\n'),
});

#!/usr/bin/env node
/**
 * Browser benchmark: a 10k-token markdown answer (prose, lists, a table, a long code fence) streamed at
 * 1,000 tokens/s in headless Chromium (Debian's, /usr/bin/chromium), rendered (a) by the elements' pipeline —
 * frame-budgeted, block-incremental — and (b) by a full re-parse + innerHTML per chunk, alternating in the same
 * run (plus a baseline that streams without rendering). Reports main-thread task time (CDP Performance.getMetrics TaskDuration delta), script time, the time in
 * render calls, long tasks (> 50 ms) and the ratio. The page gives both strategies the CSS `<llc-message>` uses
 * while streaming (off-screen blocks `content-visibility: auto`).
 *
 *   npm run bench:browser -w @locallightchat/elements        (options: --rounds N, --tokens N, --tps N, --chunk-ms N)
 *   … -- --min-interval MS  the flush planner's shortest interval between flushes (0: every frame)
 *   … -- --profile FILE    also writes a CPU profile of the incremental runs (unminified) and prints its top
 *                          self-time functions, to see where the incremental path spends its time
 */
import { bundleForPage, launchChromium, numberArg as arg, writeResult } from './harness.mjs';
import { answer } from './answer.mjs';
import { createProfiler, summariseTrace } from './profile.mjs';

const rounds = arg('rounds', 2);
const tokenCount = arg('tokens', 10_000);
const tokensPerSecond = arg('tps', 1000);
/** A chunk every `chunk-ms` (10 ms = 10 tokens per chunk at 1,000 tok/s; 1 ms = one token per chunk). */
const chunkMs = arg('chunk-ms', 10);
/** `--min-interval N`: the flush planner's shortest interval between flushes (0 = every frame), to see the trade-off. */
const minIntervalMs = arg('min-interval', undefined);
/** `--only incremental` runs one strategy (with `--profile`, to iterate faster); the ratio needs all three. */
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? undefined : process.argv[onlyIndex + 1];
/** `--trace FILE`: a Chromium trace of the first incremental run, summarised by main-thread event (paint, layout…). */
const traceIndex = process.argv.indexOf('--trace');
const traceFile = traceIndex === -1 ? undefined : process.argv[traceIndex + 1];
const profileIndex = process.argv.indexOf('--profile');
const profileFile = profileIndex === -1 ? undefined : process.argv[profileIndex + 1];

const bundle = await bundleForPage('page.ts', { minify: !profileFile });

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
await page.setContent(
  '<!doctype html><html><head><style>body{font:16px system-ui;max-width:760px;margin:auto} pre{overflow:auto} table{border-collapse:collapse} .answer > *{content-visibility:auto;contain-intrinsic-size:auto 1.5em}</style></head><body></body></html>',
);
await page.addScriptTag({ content: bundle, type: 'module' });
await page.waitForFunction(() => 'llcBench' in globalThis);
await page.evaluate(() => {
  globalThis.__long = [];
  new globalThis.PerformanceObserver((list) =>
    globalThis.__long.push(...list.getEntries().map((e) => e.duration)),
  ).observe({
    type: 'longtask',
    buffered: false,
  });
});
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () =>
  Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));

const profiler = createProfiler(cdp);
const tokens = answer(tokenCount);
const results = { none: [], incremental: [], full: [] };
for (let round = 0; round < rounds; round++) {
  for (const strategy of round % 2 === 0 ? ['none', 'incremental', 'full'] : ['full', 'incremental', 'none']) {
    if (only && strategy !== only) continue;
    await page.evaluate(() => (globalThis.__long = []));
    const profiling = profileFile && strategy === 'incremental';
    if (profiling) await profiler.start();
    const tracing = traceFile && strategy === (only ?? 'incremental') && round === 0;
    if (tracing)
      await browser.startTracing(page, {
        path: traceFile,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
      });
    const before = await metrics();
    const r = await page.evaluate((o) => globalThis.llcBench(o), {
      strategy,
      tokens,
      tokensPerSecond,
      chunkMs,
      minIntervalMs,
    });
    const after = await metrics();
    if (profiling) await profiler.stop();
    if (tracing) await browser.stopTracing();
    const longTasks = await page.evaluate(() => globalThis.__long);
    results[strategy].push({
      ...r,
      taskMs: (after.TaskDuration - before.TaskDuration) * 1000,
      scriptMs: (after.ScriptDuration - before.ScriptDuration) * 1000,
      layoutMs: (after.LayoutDuration - before.LayoutDuration) * 1000,
      styleMs: (after.RecalcStyleDuration - before.RecalcStyleDuration) * 1000,
      longTasks: longTasks.length,
      longestTaskMs: Math.max(0, ...longTasks),
    });
  }
}
await browser.close();
if (profileFile) await profiler.report(profileFile);
if (traceFile) await summariseTrace(traceFile);

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = Object.fromEntries(
  Object.entries(results)
    .filter(([, rs]) => rs.length > 0)
    .map(([k, rs]) => [
      k,
      {
        taskMs: Math.round(mean(rs.map((r) => r.taskMs))),
        layoutMs: Math.round(mean(rs.map((r) => r.layoutMs))),
        styleMs: Math.round(mean(rs.map((r) => r.styleMs))),
        scriptMs: Math.round(mean(rs.map((r) => r.scriptMs))),
        renderMs: Math.round(mean(rs.map((r) => r.renderMs))),
        renders: Math.round(mean(rs.map((r) => r.renders))),
        longestRenderMs: +mean(rs.map((r) => r.longestRenderMs)).toFixed(1),
        longTasks: Math.max(...rs.map((r) => r.longTasks)),
        longestTaskMs: Math.round(Math.max(...rs.map((r) => r.longestTaskMs))),
        wallMs: Math.round(mean(rs.map((r) => r.wallMs))),
        maxLagMs: Math.round(Math.max(...rs.map((r) => r.maxLagMs))),
        maxLagFromDeliveryMs: Math.round(Math.max(...rs.map((r) => r.maxLagFromDeliveryMs))),
        meanLagMs: +mean(rs.map((r) => r.meanLagMs)).toFixed(1),
        maxLateMs: Math.round(Math.max(...rs.map((r) => r.maxLateMs))),
        meanLateMs: +mean(rs.map((r) => r.meanLateMs)).toFixed(1),
        maxFrameGapMs: Math.round(Math.max(...rs.map((r) => r.maxFrameGapMs))),
        sameFinalHtml: rs.every((r) => r.finalHtmlLength === results.incremental[0].finalHtmlLength),
        ...(rs[0].stats ? { stats: rs[0].stats } : {}),
      },
    ]),
);
console.log(
  JSON.stringify(
    { tokens: tokens.length, chars: tokens.join('').length, tokensPerSecond, chunkMs, rounds, ...summary },
    null,
    2,
  ),
);
if (only) process.exit(0);
const net = (k) => summary[k].taskMs - summary.none.taskMs;
console.log(
  `main-thread task time, full re-parse ÷ incremental: ${(summary.full.taskMs / summary.incremental.taskMs).toFixed(1)}× gross, ${(net('full') / net('incremental')).toFixed(1)}× net of the harness baseline (${summary.none.taskMs} ms); time in render calls: ${(summary.full.renderMs / summary.incremental.renderMs).toFixed(1)}×`,
);
const gross = summary.full.taskMs / summary.incremental.taskMs;
const netRatio = net('full') / net('incremental');
const lag = (k, field) => (k === 'none' ? '–' : summary[k][field]);
const row = (k, label) =>
  `| ${label} | ${summary[k].taskMs} | ${summary[k].renderMs} | ${summary[k].longTasks} | ${summary[k].longestTaskMs} | ${lag(k, 'meanLagMs')} | ${lag(k, 'maxLagMs')} | ${lag(k, 'maxLagFromDeliveryMs')} | ${summary[k].meanLateMs} | ${summary[k].maxLateMs} | ${summary[k].maxFrameGapMs} |`;
writeResult('browser-markdown', {
  title: 'Streaming markdown in the browser',
  command: `node packages/elements/bench/markdown-stream.mjs --rounds ${rounds} --tokens ${tokenCount} --tps ${tokensPerSecond} --chunk-ms ${chunkMs}`,
  json: { tokens: tokens.length, tokensPerSecond, chunkMs, rounds, summary, gross, net: netRatio },
  body: [
    `A ${tokens.length.toLocaleString('en')}-token markdown answer (prose, lists, a table, a 400-line code fence) streamed at ${tokensPerSecond} tokens/s in chunks every ${chunkMs} ms, each chunk in its own task, rendered by the elements' pipeline (frame-budgeted, block-incremental) and by a full re-parse + innerHTML per chunk, alternating in the same page; \`none\` streams without rendering (the harness's own cost). Means over ${rounds} round(s); long tasks are the most in any round.`,
    '',
    '| strategy | main-thread task ms | in render calls, ms | long tasks (> 50 ms) | longest task, ms | mean lag, ms | max lag, ms | max lag from delivery, ms | chunks delivered late, mean ms | max ms | longest frame gap, ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    row('incremental', 'incremental (ours)'),
    row('full', 'full re-parse per chunk'),
    row('none', 'no rendering (baseline)'),
    '',
    `Full re-parse ÷ incremental: **${gross.toFixed(1)}× gross**, ${netRatio.toFixed(1)}× net of the baseline.`,
    '',
    `Lag is from a chunk's due time to the end of the render that shows it ("from delivery": from when the page's task got it); the renderer flushes at most every 20 ms, on an animation frame, so its floor is about two frames. Two floors measured in the same run, with no rendering at all: the harness's timer delivered chunks up to ${summary.none.maxLateMs} ms late (mean ${summary.none.meanLateMs} ms), and animation-frame callbacks ran up to ${summary.none.maxFrameGapMs} ms apart.`,
  ].join('\n'),
});

/**
 * Attributes a throttled run's long tasks (throttled-stream.mjs `--trace FILE`): from a Chromium trace of one
 * run, each main-thread task over 50 ms with its self time by trace event (script, style, layout, paint, GC)
 * and the functions the CPU sampler saw in it, so a long task is pinned on our code or on the browser's.
 */
import { readFile } from 'node:fs/promises';
import { selfTimeByEvent } from './trace-self-time.mjs';

export const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-v8.cpu_profiler',
  'v8',
  'blink.user_timing',
].join(',');

/** Prints each long task of the main thread in `file` (a Tracing.end JSON) with what it was made of. */
export async function longTasksOf(file, overMs = 50) {
  const parsed = JSON.parse(await readFile(file, 'utf8'));
  const all = parsed.traceEvents ?? parsed;
  const main = all.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return console.log('no renderer main thread in the trace');
  const onMain = all.filter((e) => e.pid === main.pid && e.tid === main.tid);
  const tasks = onMain.filter((e) => e.ph === 'X' && e.name === 'RunTask' && e.dur / 1000 > overMs);
  const events = onMain.filter((e) => e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const samples = cpuSamples(all, main);
  console.log(`\n${tasks.length} main-thread task(s) over ${overMs} ms in ${file}:`);
  for (const task of tasks) {
    const end = task.ts + task.dur;
    const inside = events.filter((e) => e.ts >= task.ts && e.ts + e.dur <= end && e !== task);
    const self = selfTimeByEvent(inside);
    const fns = new Map();
    for (const s of samples) if (s.ts >= task.ts && s.ts <= end) fns.set(s.fn, (fns.get(s.fn) ?? 0) + s.ms);
    const top = (m, n) =>
      [...m]
        .filter(([, ms]) => ms >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
        .join('; ');
    console.log(
      `- ${(task.dur / 1000).toFixed(0)} ms at ${((task.ts - tasks[0].ts) / 1000).toFixed(0)} ms: ${top(self, 8)}`,
    );
    console.log(`    functions (self, sampled): ${top(fns, 10)}`);
  }
}

/** The CPU sampler's samples of the main thread as { ts, fn, ms } (trace clock, µs). */
function cpuSamples(all, main) {
  const nodes = new Map();
  const clock = new Map();
  const out = [];
  for (const e of all) {
    if (e.name !== 'ProfileChunk' || e.pid !== main.pid) continue;
    const data = e.args?.data ?? {};
    for (const n of data.cpuProfile?.nodes ?? []) nodes.set(`${e.id}:${n.id}`, n.callFrame);
    let ts = clock.get(e.id) ?? all.find((p) => p.name === 'Profile' && p.id === e.id)?.args?.data?.startTime ?? 0;
    const ids = data.cpuProfile?.samples ?? [];
    const deltas = data.timeDeltas ?? [];
    ids.forEach((id, i) => {
      ts += deltas[i] ?? 0;
      const f = nodes.get(`${e.id}:${id}`);
      if (!f || f.functionName === '(idle)' || f.functionName === '(program)') return;
      out.push({ ts, fn: `${f.functionName || '(anon)'}:${f.lineNumber ?? ''}`, ms: (deltas[i + 1] ?? 0) / 1000 });
    });
    clock.set(e.id, ts);
  }
  return out;
}

/**
 * CPU profiling for the browser benchmark (`--profile FILE`): samples the page's main thread over the
 * incremental runs only, writes the merged profile (open it in Chrome DevTools) and prints where the time went
 * by function (self time) and by source file, so optimisation targets come from a measurement.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { selfTimeByEvent } from './trace-self-time.mjs';

/** @param {import('playwright-core').CDPSession} cdp */
export function createProfiler(cdp) {
  /** @type {any[]} */
  const profiles = [];
  return {
    async start() {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    },
    async stop() {
      profiles.push((await cdp.send('Profiler.stop')).profile);
    },
    async report(file) {
      await writeFile(file, JSON.stringify(profiles[0] ?? {}));
      const byFunction = new Map();
      const inclusive = new Map();
      let total = 0;
      for (const profile of profiles) {
        const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
        const parents = new Map();
        for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
        const keyOf = ({ functionName, url, lineNumber }) =>
          `${functionName || '(anonymous)'} ${url ? url.split('/').pop() || 'page' : ''}:${lineNumber + 1}`;
        const deltas = profile.timeDeltas;
        profile.samples.forEach((id, i) => {
          const ms = (deltas[i + 1] ?? 0) / 1000;
          const frame = nodes.get(id).callFrame;
          if (frame.functionName === '(idle)') return;
          total += ms;
          const key = keyOf(frame);
          byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
          // Inclusive time: once per distinct function on the sample's stack (recursion counted once).
          const seen = new Set();
          for (let at = id; at !== undefined; at = parents.get(at)) seen.add(keyOf(nodes.get(at).callFrame));
          for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
        });
      }
      const top = (map, n) =>
        [...map]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`);
      console.log(
        `\nCPU profile of ${profiles.length} incremental run(s), ${total.toFixed(0)} ms busy (written to ${file}); top self time:`,
      );
      console.log(top(byFunction, 30).join('\n'));
      console.log('top inclusive time:');
      console.log(top(inclusive, 40).join('\n'));
    },
  };
}

/**
 * Main-thread time by trace event, self time (an event's duration less its children's): shows how much of the
 * task time is the browser's own frame work (style, layout, paint, commit) rather than our script.
 */
export async function summariseTrace(file) {
  const { traceEvents } = JSON.parse(await readFile(file, 'utf8'));
  const main = traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const events = traceEvents
    .filter((e) => e.ph === 'X' && main && e.pid === main.pid && e.tid === main.tid && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = selfTimeByEvent(events);
  const counts = new Map();
  for (const e of events) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
  console.log(`\nmain-thread self time by trace event (first traced run, ${file}):`);
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${ms.toFixed(0).padStart(6)} ms  ${String(counts.get(name)).padStart(6)}×  ${name}`);
}

#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only idle,latency]`: runs the benchmark scenarios one after another (each in
 * its own processes, so they do not disturb each other), then writes bench/results/<date>/report.md with the
 * goals, SVG charts and every scenario's table. `--quick` uses small counts and one run each (a few minutes);
 * the full run is what the committed report comes from.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = args.includes('--out')
  ? args[args.indexOf('--out') + 1]
  : here(`results/${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}`);

const q = (quickValue, fullValue) => String(quick ? quickValue : fullValue);
const scenarios = [
  {
    id: 'idle',
    name: 'idle connections, memory and accept cost (relay, raw uWS, ws, ws+NATS, Socket.IO)',
    argv: ['idle/run-idle.mjs', '--connections', q(3000, 10000), '--runs', q(1, 3)],
  },
  {
    id: 'scale',
    name: 'connections at scale across relay processes',
    argv: ['idle/run-scale.mjs', '--connections', q(20000, 100000), '--processes', q(2, 6)],
  },
  {
    id: 'scale',
    name: 'connections in one relay process',
    argv: ['idle/run-scale.mjs', '--connections', q(5000, 19000), '--processes', '1'],
  },
  {
    id: 'throughput',
    name: 'send throughput per core',
    argv: ['stream/run-throughput.mjs', '--sockets', q(500, 2000), '--rounds', q(40, 100), '--runs', q(1, 3)],
  },
  // Latency vs load at 20 batches/s per stream, then 10k active streams at 2 batches/s (the 10k-streams goal).
  ...(quick
    ? [
        ['nats', 200, 20],
        ['embedded', 200, 20],
        ['ws+nats', 200, 20],
      ]
    : [500, 1000, 2000, 3000]
        .flatMap((n) => [
          ['nats', n, 20],
          ['embedded', n, 20],
          ['ws+nats', n, 20],
        ])
        .concat([
          ['nats', 10000, 2],
          ['embedded', 10000, 2],
          ['ws+nats', 10000, 2],
          // The floor of the NATS path at the 10k goal: uWS + nats.js forwarding bytes, nothing else.
          ['uws+nats', 10000, 2],
        ])
  ).map(([mode, streams, rate]) => ({
    id: 'latency',
    name: `added latency, ${mode}, ${streams} streams × ${rate}/s`,
    argv: [
      'stream/run-latency.mjs',
      '--mode',
      mode,
      '--streams',
      String(streams),
      '--rate',
      String(rate),
      '--seconds',
      q(4, 10),
    ],
  })),
  {
    id: 'bridge',
    name: 'one bridge process under many concurrent streams',
    argv: ['bridge/run-bridge.mjs', '--streams', q(500, 5000), '--replicas', '2'],
  },
  {
    id: 'bridge',
    name: "the bridge's read floor: the same streams read by bare node:http",
    argv: [
      'bridge/backend-read.mjs',
      '--streams',
      q(500, 5000),
      '--replicas',
      '2',
      '--max-tokens',
      '300',
      '--floor-only',
    ],
  },
  {
    id: 'bridge',
    name: "the broker's publish path: a write per task vs per event-loop turn",
    argv: ['broker/run-publish.mjs', '--streams', q(500, 2000), '--rounds', q(5, 20), '--runs', q(1, 3)],
  },
  // Cache-aware routing: every router over B2B, chat, low-sharing and bursty workloads in simulated time, then
  // the same routers with real simulator processes (the validation run).
  {
    id: 'routing',
    name: 'cache-aware routing, simulated time (llm-d style table)',
    argv: ['routing/run-routing.mjs', ...(quick ? ['--quick'] : [])],
  },
  {
    id: 'routing',
    name: 'cache-aware routing, real simulator processes (validation)',
    argv: ['routing/run-routing-real.mjs', ...(quick ? ['--quick'] : [])],
  },
  {
    id: 'priority',
    name: 'first-token priority under saturation',
    argv: ['stream/run-priority.mjs', '--sockets', q(6, 10), '--busy', '6', '--seconds', q(4, 6), '--runs', q(1, 3)],
  },
  {
    id: 'storm',
    name: 'reconnect storm',
    argv: ['idle/run-storm.mjs', '--connections', q(6000, 20000), '--processes', '2'],
  },
  {
    id: 'storm',
    name: 'resume storm: every client of a killed relay resumes its in-flight answer on the survivor',
    argv: ['idle/run-resume-storm.mjs', '--clients', q(2000, 10000)],
  },
  {
    id: 'storm',
    name: 'compact resume: a late tab resumes in-flight answers from seq 1, on the same relay and another',
    argv: ['stream/run-compact-resume.mjs', '--streams', q(20, 50), '--batches', q(200, 500)],
  },
  {
    id: 'slow',
    name: 'slow consumers',
    argv: ['stream/run-slow.mjs', '--fast', q(5, 10), '--slow', q(3, 5), '--rounds', q(1200, 1500)],
  },
  // The browser side, in Debian's Chromium: streaming markdown, highlighting and history, and the bundle.
  {
    id: 'browser',
    name: 'streaming markdown in the browser, incremental vs full re-parse',
    argv: ['../packages/elements/bench/markdown-stream.mjs', '--rounds', q(1, 2)],
  },
  {
    id: 'browser',
    name: 'highlighting a large code block, scrolling 10k messages while streaming',
    argv: ['../packages/elements/bench/ui-responsiveness.mjs', '--rounds', q(1, 2), '--seconds', q(3, 6)],
  },
  {
    id: 'browser',
    name: 'streaming on a phone-class CPU (Chromium throttled 4×): long tasks, announcement spacing',
    argv: ['../packages/elements/bench/throttled-stream.mjs', '--rounds', q(1, 2)],
  },
  { id: 'browser', name: 'client + elements bundle size', argv: ['../packages/elements/scripts/bundle.mjs'] },
].filter((s) => !only || only.includes(s.id));

function bar(done, total, label) {
  const width = 24;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\n[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}\n`);
}

function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [here(argv[0]), ...argv.slice(1), '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

// Latency rows are appended per run: start the folder's file afresh when the latency scenario runs (an
// `--only` run of other scenarios keeps the folder's latency results, and the report still shows them).
if (scenarios.some((s) => s.id === 'latency')) {
  rmSync(`${out}/stream-latency.md`, { force: true });
  rmSync(`${out}/stream-latency.jsonl`, { force: true });
}
const started = Date.now();
const failed = [];
for (const [i, s] of scenarios.entries()) {
  bar(i, scenarios.length, s.name);
  if ((await run(s.argv)) !== 0) failed.push(s.name);
}
bar(scenarios.length, scenarios.length, `done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
await run(['report.mjs']);
if (failed.length) {
  console.error(`failed scenarios: ${failed.join('; ')}`);
  process.exit(1);
}

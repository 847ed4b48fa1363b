#!/usr/bin/env node
/**
 * The bridge's read path alone: N concurrent streams read through `OpenAIBackend` from `llc-vllm-sim` replicas
 * (separate processes), consumed as the bridge consumes them (for await), with no broker and no batching. CPU
 * µs of this process per SSE chunk read and per delta passed on — the part of the bridge's cost per token that
 * HTTP, SSE and chunk parsing make, without NATS. The simulator runs every sequence at once, one chunk per
 * sequence per engine step.
 *
 * `--backend-module <path>` reads through another build's `dist/index.js` (e.g. a copy of an older one), for a
 * before/after in one session.
 *
 * `--floor` alternates each round with the floor of this read path: the same requests over node:http with the
 * same keep-alive agent settings, each body read by 'data' events and split into SSE events (a count, no
 * parse) — what any Node reader of these streams pays for HTTP and the socket. Reported per SSE event (a
 * stream's events are its deltas plus its role, finish, usage and [DONE] chunks: ~2 % more at 200 tokens).
 *
 * `--stream-interval N` runs the replicas with vLLM's `--stream-interval` (a delta per N tokens after the first).
 *
 * `--floor-only` runs the floor alone; with `--out <dir>` (the full run does both, at run-bridge's 5,000 streams
 * × 300 tokens) it writes `bridge-floor.json`/`.md` there, which the report puts beside the bridge's own goal.
 *
 *   node bench/bridge/backend-read.mjs [--streams 2500] [--replicas 1] [--max-tokens 200] [--rounds 1] [--floor]
 *                                      [--floor-only] [--out <dir>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { cliOptions, startProcess } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const N = Number(arg('streams', 2500));
const R = Number(arg('replicas', 1));
const MAX_TOKENS = Number(arg('max-tokens', 200));
const ROUNDS = Number(arg('rounds', 1));
const MODULE = arg('backend-module', '@locallightchat/inference-bridge');
const FLOOR_ONLY = flag('floor-only');
const FLOOR = FLOOR_ONLY || flag('floor');
const OUT = arg('out', undefined);
const STREAM_INTERVAL = Number(arg('stream-interval', 1));
const { OpenAIBackend } = await import(MODULE);

async function round(backends) {
  let deltas = 0;
  let tokens = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const backend = backends[i % backends.length];
      const request = {
        requestId: `r${i}`,
        messages: [{ role: 'user', content: `question ${i}` }],
        maxTokens: MAX_TOKENS,
      };
      try {
        for await (const event of backend.stream(request, new AbortController().signal)) {
          if (event.type === 'delta') deltas++;
          else if (event.usage) tokens += event.usage.completionTokens;
        }
      } catch (error) {
        if (failed++ === 0) console.error(error);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = cpu.user + cpu.system;
  return { seconds: (performance.now() - t0) / 1000, cpuUs, systemUs: cpu.system, deltas, tokens, failed };
}

/** The floor: one POST per stream on a keep-alive agent, the body's SSE events counted by their blank lines. */
async function floorRound(urls) {
  const agents = urls.map(() => new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4000 }));
  let events = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise((resolve) => {
          const body = JSON.stringify({
            messages: [{ role: 'user', content: `question ${i}` }],
            max_tokens: MAX_TOKENS,
            stream: true,
            stream_options: { include_usage: true },
          });
          const req = httpRequest(new URL('/v1/chat/completions', urls[i % urls.length]), {
            method: 'POST',
            agent: agents[i % urls.length],
            headers: {
              'content-type': 'application/json',
              accept: 'text/event-stream',
              'content-length': String(Buffer.byteLength(body)),
            },
          });
          const fail = (error) => {
            if (failed++ === 0) console.error(error);
            resolve();
          };
          req.on('error', fail);
          req.on('response', (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              return fail(new Error(`HTTP ${res.statusCode}`));
            }
            let tail = 0; // '\n' bytes just seen (an event ends at a blank line, possibly split across chunks)
            res.on('data', (chunk) => {
              for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) {
                tail = at === 0 || chunk[at - 1] === 10 ? tail + 1 : 1;
                if (tail === 2) events++;
              }
              if (chunk[chunk.length - 1] !== 10) tail = 0;
            });
            res.on('end', resolve);
            res.on('error', fail);
          });
          req.end(body);
        }),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  for (const agent of agents) agent.destroy();
  return {
    seconds: (performance.now() - t0) / 1000,
    cpuUs: cpu.user + cpu.system,
    systemUs: cpu.system,
    events,
    failed,
  };
}

async function main() {
  const sims = await Promise.all(
    Array.from({ length: R }, () =>
      startProcess(
        process.execPath,
        [
          here('../../packages/vllm-sim/dist/cli/sim-cli.js'),
          ...['--port', '0', '--profile', '8b-h100', '--max-num-seqs', '8192'],
          ...['--kv-cache-tokens', '4000000', '--max-num-batched-tokens', '65536'],
          ...['--stream-interval', String(STREAM_INTERVAL)],
        ],
        /listening on (http:\/\/\S+)/,
        { logLevel: null },
      ),
    ),
  );
  const backends = sims.map((s) => new OpenAIBackend({ baseURL: s.match[1] }));
  const floors = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      if (FLOOR) {
        const res = await floorRound(sims.map((s) => s.match[1]));
        floors.push(res);
        console.log(
          `floor: ${N} streams: ${res.seconds.toFixed(1)} s, ${res.events} SSE events, ${res.failed} failed; ` +
            `CPU ${(res.cpuUs / 1e6).toFixed(2)} s = ${(res.cpuUs / res.events).toFixed(2)} µs per event ` +
            `(kernel ${(res.systemUs / res.events).toFixed(2)}), ${percentOfCore(res).toFixed(0)} % of a core`,
        );
        if (FLOOR_ONLY) continue;
      }
      const res = await round(backends);
      console.log(
        `${N} streams: ${res.seconds.toFixed(1)} s, ${res.tokens} tokens in ${res.deltas} deltas, ${res.failed} failed; ` +
          `CPU ${(res.cpuUs / 1e6).toFixed(2)} s = ${(res.cpuUs / res.deltas).toFixed(2)} µs per delta, ` +
          `${(res.cpuUs / res.tokens).toFixed(2)} µs per token (kernel ${(res.systemUs / res.deltas).toFixed(2)} µs per delta), ${((100 * res.cpuUs) / 1e6 / res.seconds).toFixed(0)} % of a core`,
      );
    }
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
  if (OUT && floors.length) writeFloor(floors);
}

const percentOfCore = (res) => (100 * res.cpuUs) / 1e6 / res.seconds;

function writeFloor(floors) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    streams: N,
    replicas: R,
    maxTokens: MAX_TOKENS,
    streamInterval: STREAM_INTERVAL,
    percentOfCore: median(floors.map(percentOfCore)),
    usPerEvent: median(floors.map((f) => f.cpuUs / f.events)),
    failed: floors.reduce((n, f) => n + f.failed, 0),
    rounds: floors,
  };
  const flags = `--streams ${N} --replicas ${R} --max-tokens ${MAX_TOKENS} --rounds ${ROUNDS} --floor-only`;
  const md = [
    `# The bridge's read floor — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/bridge/backend-read.mjs ${flags}${STREAM_INTERVAL !== 1 ? ` --stream-interval ${STREAM_INTERVAL}` : ''}\``,
    '',
    `What any Node process pays only to read the bridge's ${N} streams from ${R} \`llc-vllm-sim\` replicas (node:http,`,
    "keep-alive, each body's SSE events counted, nothing parsed or published): the floor under the bridge's own goal.",
    '',
    '| round | time | SSE events | failed | CPU µs per event (kernel) | % of a core |',
    '|---|---|---|---|---|---|',
    ...floors.map(
      (f, i) =>
        `| ${i + 1} | ${f.seconds.toFixed(1)} s | ${f.events} | ${f.failed} | ${(f.cpuUs / f.events).toFixed(2)} (${(f.systemUs / f.events).toFixed(2)}) | ${percentOfCore(f).toFixed(0)} % |`,
    ),
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/bridge-floor.json`, JSON.stringify(summary, null, 2));
  writeFileSync(`${OUT}/bridge-floor.md`, md.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

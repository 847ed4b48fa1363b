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
 *   node bench/bridge/backend-read.mjs [--streams 2500] [--replicas 1] [--max-tokens 200] [--rounds 1] [--floor]
 */
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
const FLOOR = flag('floor');
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
  try {
    for (let r = 0; r < ROUNDS; r++) {
      if (FLOOR) {
        const res = await floorRound(sims.map((s) => s.match[1]));
        console.log(
          `floor: ${N} streams: ${res.seconds.toFixed(1)} s, ${res.events} SSE events, ${res.failed} failed; ` +
            `CPU ${(res.cpuUs / 1e6).toFixed(2)} s = ${(res.cpuUs / res.events).toFixed(2)} µs per event ` +
            `(kernel ${(res.systemUs / res.events).toFixed(2)}), ${((100 * res.cpuUs) / 1e6 / res.seconds).toFixed(0)} % of a core`,
        );
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
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

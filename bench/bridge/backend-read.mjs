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
 *   node bench/bridge/backend-read.mjs [--streams 2500] [--replicas 1] [--max-tokens 200] [--rounds 1]
 */
import { fileURLToPath } from 'node:url';
import { cliOptions, startProcess } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const N = Number(arg('streams', 2500));
const R = Number(arg('replicas', 1));
const MAX_TOKENS = Number(arg('max-tokens', 200));
const ROUNDS = Number(arg('rounds', 1));
const MODULE = arg('backend-module', '@locallightchat/inference-bridge');
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

async function main() {
  const sims = await Promise.all(
    Array.from({ length: R }, () =>
      startProcess(
        process.execPath,
        [
          here('../../packages/vllm-sim/dist/cli/sim-cli.js'),
          ...['--port', '0', '--profile', '8b-h100', '--max-num-seqs', '8192'],
          ...['--kv-cache-tokens', '4000000', '--max-num-batched-tokens', '65536'],
        ],
        /listening on (http:\/\/\S+)/,
        { logLevel: null },
      ),
    ),
  );
  const backends = sims.map((s) => new OpenAIBackend({ baseURL: s.match[1] }));
  try {
    for (let r = 0; r < ROUNDS; r++) {
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

#!/usr/bin/env node
/**
 * The validation run of cache-aware routing with real processes: 4 `llc-vllm-sim` processes (HTTP, /metrics,
 * KV events over ZMQ) behind the bridge's router and admission queue, requests streamed with OpenAIBackend,
 * a scaled-down B2B workload (Poisson arrivals). Fresh replicas per router, so every router starts cold.
 * Figures are wall-clock on this shared machine (the engines run at --speed 0.25 so the four of them and the
 * driver fit on 2 cores); they check the simulated-time sweep's ordering, not its absolute numbers.
 *
 *   node bench/routing/run-routing-real.mjs [--quick] [--out DIR]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AdmissionQueue,
  LoadAwareRouter,
  OpenAIBackend,
  createRoutingPolicy,
  subscribeKvEvents,
} from '@locallightchat/inference-bridge/internal';
import { SimPromptTokenizer } from '@locallightchat/vllm-sim';
import { rng, text } from './workloads.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const OUT = args.includes('--out')
  ? args[args.indexOf('--out') + 1]
  : fileURLToPath(new URL(`../results/${new Date().toISOString().slice(0, 10)}`, import.meta.url));
mkdirSync(OUT, { recursive: true });
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const log = (m) => process.stderr.write(`[routing-real] ${m}\n`);

const REPLICAS = 4;
const SPEED = 0.25;
const CUSTOMERS = 24;
const CONTEXT = 2000;
// Contexts fill ~73 % of the cluster's KV, as in llm-d's B2B run.
const KV_TOKENS = Math.round((CUSTOMERS * CONTEXT) / 0.73 / REPLICAS);
const RATE = 10;
const SECONDS = quick ? 12 : 25;
const WARMUP = quick ? 4 : 8;
const ROUTERS = ['random', 'load', 'prefix-approx', 'prefix-precise'];

function startSim() {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        here('../../packages/vllm-sim/bin/llc-vllm-sim.js'),
        '--port',
        '0',
        '--profile',
        '8b-h100',
        '--speed',
        String(SPEED),
        '--kv-cache-tokens',
        String(KV_TOKENS),
        '--max-model-len',
        '8192',
        '--kv-events-config',
        JSON.stringify({
          enable_kv_cache_events: true,
          endpoint: 'tcp://127.0.0.1:*',
          replay_endpoint: 'tcp://127.0.0.1:*',
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const onData = (d) => {
      out += d;
      const ready = /listening on (http:\/\/\S+\/v1)/.exec(out);
      const ev = /KV events on (tcp:\/\/\S+), replay on (tcp:\/\/\S+)/.exec(out);
      if (ready && ev)
        resolve({ child, url: ready[1], origin: ready[1].replace(/\/v1$/, ''), events: ev[1], replay: ev[2] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`llc-vllm-sim exited (${code}): ${out}`)));
  });
}

async function metricSum(origin, name) {
  const textBody = await (await fetch(`${origin}/metrics`)).text();
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(textBody);
  return m ? Number(m[1]) : 0;
}

const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : NaN);

async function runRouter(kind) {
  const sims = await Promise.all(Array.from({ length: REPLICAS }, startSim));
  const backends = sims.map((s) => new OpenAIBackend({ baseURL: s.url, ttftTimeoutMs: 60_000 }));
  const policy = createRoutingPolicy({
    kind,
    replicas: REPLICAS,
    tokenizer: new SimPromptTokenizer(16),
    capacityTokens: KV_TOKENS,
  });
  const router = new LoadAwareRouter({
    backends: backends.map((backend, i) => ({ backend, metricsUrl: `${sims[i].origin}/metrics` })),
    targetInFlight: 32,
    ...(policy ? { policy } : {}),
  }).start();
  const events =
    kind === 'prefix-precise'
      ? subscribeKvEvents(
          policy,
          sims.map((s) => ({ endpoint: s.events, replayEndpoint: s.replay })),
        )
      : undefined;
  const queue = new AdmissionQueue(router, { maxWaitMs: 30_000 });
  const contexts = Array.from(
    { length: CUSTOMERS },
    (_, c) => `Customer ${c} handbook.` + text(CONTEXT, rng(1000 + c)),
  );
  const r = rng(11);
  const results = [];
  const started = performance.now();
  const tasks = [];
  let t = 0;
  let n = 0;
  while (t < SECONDS * 1000) {
    t += (-Math.log(Math.max(r(), 1e-12)) / RATE) * 1000;
    const at = t;
    const c = Math.floor(r() * CUSTOMERS);
    const req = {
      requestId: `q${n++}`,
      messages: [
        { role: 'system', content: contexts[c] },
        { role: 'user', content: `Question for ${c}:` + text(150, r) },
      ],
      maxTokens: 120,
      affinityKey: `c${c}-${n}`,
    };
    const wait = at - (performance.now() - started);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    tasks.push(
      (async () => {
        const t0 = performance.now();
        const rec = { at, ok: false, tokens: 0 };
        results.push(rec);
        try {
          const lease = await queue.acquire(req, new Set(), { signal: new AbortController().signal });
          if (!lease) return;
          for await (const e of lease.backend.stream(req, new AbortController().signal)) {
            if (e.type === 'delta') {
              if (rec.ttft === undefined) {
                rec.ttft = (performance.now() - t0) / 1000;
                lease.dispatch.firstToken();
              }
            } else {
              rec.ok = true;
              rec.tokens = e.usage?.completionTokens ?? 0;
              rec.done = performance.now() - started;
            }
          }
          lease.dispatch.done('ok');
        } catch (error) {
          rec.error = error instanceof Error ? error.message : String(error);
        }
      })(),
    );
  }
  await Promise.all(tasks);
  const wall = (performance.now() - started) / 1000;
  const queries = (await Promise.all(sims.map((s) => metricSum(s.origin, 'vllm:prefix_cache_queries_total')))).reduce(
    (a, b) => a + b,
    0,
  );
  const hits = (await Promise.all(sims.map((s) => metricSum(s.origin, 'vllm:prefix_cache_hits_total')))).reduce(
    (a, b) => a + b,
    0,
  );
  events?.close();
  router.close();
  queue.close();
  await Promise.all(sims.map((s) => new Promise((res) => (s.child.once('exit', res), s.child.kill('SIGTERM')))));
  const measured = results.filter((x) => x.at >= WARMUP * 1000);
  const ttft = measured
    .filter((x) => x.ttft !== undefined)
    .map((x) => x.ttft)
    .sort((a, b) => a - b);
  const ok = measured.filter((x) => x.ok);
  const row = {
    router: kind,
    requests: measured.length,
    ok: ok.length,
    errors: measured.length - ok.length,
    ttftP50: pct(ttft, 0.5),
    ttftP90: pct(ttft, 0.9),
    outputTokPerSec: ok.reduce((s, x) => s + x.tokens, 0) / (wall - WARMUP),
    hitRate: queries ? hits / queries : 0,
    kvEvents: events ? events.stats() : null,
  };
  log(
    `${kind}: TTFT p50 ${row.ttftP50.toFixed(2)} s p90 ${row.ttftP90.toFixed(2)} s (wall), hit ${(row.hitRate * 100).toFixed(0)} %, ${row.ok}/${row.requests} ok`,
  );
  return row;
}

const rows = [];
for (const kind of ROUTERS) rows.push(await runRouter(kind));
const result = {
  quick,
  replicas: REPLICAS,
  speed: SPEED,
  customers: CUSTOMERS,
  contextTokens: CONTEXT,
  kvTokens: KV_TOKENS,
  rate: RATE,
  seconds: SECONDS,
  warmup: WARMUP,
  rows,
};
writeFileSync(`${OUT}/routing-real.json`, JSON.stringify(result, null, 2));
const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
writeFileSync(
  `${OUT}/routing-real.md`,
  [
    '# Cache-aware routing with real processes (validation)',
    '',
    `Command: \`node bench/routing/run-routing-real.mjs${quick ? ' --quick' : ''}\`; ${REPLICAS} \`llc-vllm-sim\` processes (\`8b-h100\`, --speed ${SPEED}, KV ${KV_TOKENS.toLocaleString('en')} tokens each, KV events over ZMQ), the bridge's LoadAwareRouter + AdmissionQueue (target 32 per replica) in this process, OpenAIBackend over HTTP; B2B scaled down: ${CUSTOMERS} customers × ${CONTEXT.toLocaleString('en')}-token contexts (~73 % of cluster KV), ~150-token questions, ≤ 120-token answers, Poisson ${RATE}/s for ${SECONDS} s, the first ${WARMUP} s not measured. Wall-clock TTFT on a shared 2-core machine (engine time runs at ${SPEED}× wall time, so simulated TTFT = wall × ${SPEED}); cache hits from the replicas' own \`vllm:prefix_cache_*\` counters.`,
    '',
    '| router | TTFT p50 (s, wall) | TTFT p90 (s, wall) | ok / requests | output tok/s (wall) | cache hit |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| ${x.router} | ${f(x.ttftP50)} | ${f(x.ttftP90)} | ${x.ok}/${x.requests} | ${f(x.outputTokPerSec, 0)} | ${f(x.hitRate * 100, 0)} % |`,
    ),
    '',
  ].join('\n'),
);
log(`wrote ${OUT}/routing-real.md`);

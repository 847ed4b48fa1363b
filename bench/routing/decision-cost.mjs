// Cost of one routing decision (LoadAwareRouter.choose + dispatched, i.e. what the bridge pays per request) at
// 8 and 64 replicas with ~8k-token prompts, in wall-clock µs on this machine.
//
// The workload is the B2B one at 8k tokens: 150 customers with a ~7,600-token context each, spread over the
// replicas (the precise index is fed those blocks as KV events, the approximate one by earlier dispatches),
// and requests = a customer's context + a new ~400-token question. Every request is a new object whose strings
// are fresh copies (as the broker decodes them), so nothing is memoized across requests except what the
// router itself caches (the per-message block hashes). A separate "cold" figure times the first request of
// each context (tokenizing and hashing 7,600 tokens).
//
// Each request goes through what the running bridge does with it, in order: it is decoded (its strings
// allocated), decided (timed: choose + dispatched, the whole decision), and then the policy's deferred work runs
// (the last message hashed and recorded; prefix-policy.ts schedules it with setImmediate — here it is called
// and timed apart), and the event loop turns (setImmediate) before the next request. No collection is forced:
// the garbage of the decoded requests triggers V8's own scavenges, as in the bridge, and a pause that lands
// inside a decision counts in that decision. Collections are observed (perf_hooks 'gc' entries) so the report
// can say how many of the slowest decisions one landed in.
//
// The floor: after each decision the same fixed piece of pure arithmetic (~20 µs, no memory) is timed the same
// way. Its p99/p50 is what this machine alone does to a constant amount of work (interrupts, the hypervisor,
// the other core's traffic): on the shared 2-core VM ~3× even under SCHED_FIFO, so a decision's p99 cannot be
// read as below ~3× its p50 here, whatever the code.
//
// Warm-up: the first `warmup` decisions (2,000 by default, `--warmup N`) go through the same loop but are reported
// apart (warmupP50/P99): V8 is still profiling and compiling the router then, and those decisions' slow tail
// (p99 46–69 µs against 26–44 after, 8 replicas, 2026-12-04 at load 0.6) is a cost of the bridge's first seconds,
// not of its steady state. Both are in the report.
//
// `--batched-gc` reproduces the probe used until 2026-12-03 19:30: requests made 50 at a time, a forced full
// GC (global.gc) before each batch and the deferred work flushed after it. Its p99 was the batches' first
// decisions: after a full collection has moved the heap the first decision runs with cold caches and TLB
// (~200 µs against ~30), and those are 1 decision in 50 = 2 % > 1 % by construction. A running router sees
// no full collection before every 50th decision (old-space collections are incremental and rare).
import { PerformanceObserver } from 'node:perf_hooks';
import { LoadAwareRouter, createRoutingPolicy } from '@locallightchat/inference-bridge';
import { SimPromptTokenizer } from '@locallightchat/vllm-sim';
import { rng, text } from './workloads.mjs';

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
const fresh = (s) => Buffer.from(s, 'utf8').toString('utf8');
const turn = () => new Promise((resolve) => setImmediate(resolve));
let sink = 1;
/** The floor's fixed work: 20,000 dependent multiplies. */
function spin() {
  let x = sink;
  for (let k = 0; k < 20_000; k++) x = Math.imul(x ^ k, 0x9e3779b1);
  sink = x | 1;
}

export async function decisionCost({
  replicas,
  kind,
  decisions = 4000,
  warmup = 2000,
  customers = 150,
  contextTokens = 7600,
  batchedGc = false,
}) {
  const policy = createRoutingPolicy({ kind, replicas, tokenizer: new SimPromptTokenizer(16), random: Math.random });
  const router = new LoadAwareRouter({
    backends: Array.from({ length: replicas }, (_, i) => ({ backend: { name: `r${i}`, stream() {} } })),
    ...(policy ? { policy } : {}),
  });
  const r = rng(replicas * 31 + kind.length);
  const contexts = Array.from(
    { length: customers },
    (_, c) => `Customer ${c} handbook.` + text(contextTokens, rng(5000 + c)),
  );
  const request = (c, i) => ({
    requestId: `q${i}`,
    messages: [
      { role: 'system', content: fresh(contexts[c]) },
      { role: 'user', content: `Question ${i}:` + text(400, r) },
    ],
    maxTokens: 300,
    affinityKey: `conv-${c}-${i}`,
  });
  const EMPTY = new Set();
  const cold = [];
  // Warm: one request per customer placed on its replica (precise: as KV events; approx: as dispatches).
  for (let c = 0; c < customers; c++) {
    const req = request(c, -c - 1);
    const t0 = performance.now();
    const backend = router.choose(req, EMPTY);
    router.dispatched(backend).done('ok');
    cold.push((performance.now() - t0) * 1000);
    if (kind === 'prefix-precise') {
      const hashes = policy.blocksOf(req).hashes;
      // The replica it went to reports the prompt's blocks, as its engine does once the prefill is done.
      policy.applyEvents(Number(backend.name.slice(1)), [
        { type: 'BlockStored', blockHashes: hashes.toArray(), parentBlockHash: null, medium: 'GPU' },
      ]);
    }
  }
  policy?.flushDeferred?.();
  const gcs = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  /** Per decision: [start ms, duration µs, position in its batch]. */
  const spans = [];
  const after = [];
  const floor = [];
  const decide = (req, pos) => {
    const t0 = performance.now();
    const backend = router.choose(req, EMPTY);
    const lease = router.dispatched(backend);
    spans.push([t0, (performance.now() - t0) * 1000, pos]);
    lease.done('ok');
  };
  const flush = (n) => {
    if (!policy?.flushDeferred) return;
    const t0 = performance.now();
    policy.flushDeferred();
    after.push(((performance.now() - t0) * 1000) / n);
  };
  const timeFloor = () => {
    const t0 = performance.now();
    spin();
    floor.push((performance.now() - t0) * 1000);
  };
  if (batchedGc) {
    if (!globalThis.gc) throw new Error('--batched-gc needs node --expose-gc');
    for (let done = 0; done < decisions; done += 50) {
      const reqs = Array.from({ length: Math.min(50, decisions - done) }, (_, i) =>
        request(Math.floor(r() * customers), done + i),
      );
      globalThis.gc();
      reqs.forEach(decide);
      flush(reqs.length);
      timeFloor();
      await turn();
    }
  } else {
    for (let i = 0; i < warmup + decisions; i++) {
      decide(request(Math.floor(r() * customers), i), 0);
      flush(1);
      timeFloor();
      await turn();
    }
  }
  // The first `warmup` decisions run while V8 still profiles and compiles the router's functions (the first few
  // hundred at 5–30× the steady cost here): reported apart, as what a bridge pays in its first seconds after a
  // start, not mixed into the steady state's percentiles.
  const warm = spans.splice(0, batchedGc ? 0 : warmup).map((s) => s[1]);
  floor.splice(0, batchedGc ? 0 : warmup);
  after.splice(0, batchedGc ? 0 : warmup);
  warm.sort((a, b) => a - b);
  await turn();
  gcs.push(...observer.takeRecords());
  observer.disconnect();
  router.close();
  // Which decisions a collection (or part of an incremental one) ran inside.
  const hit = spans.map(([t0, us]) => gcs.some((g) => g.startTime < t0 + us / 1000 && g.startTime + g.duration > t0));
  const times = spans.map((s) => s[1]).sort((a, b) => a - b);
  const p99 = pct(times, 0.99);
  const slowest = spans.map((s, i) => ({ us: s[1], pos: s[2], gc: hit[i] })).filter((s) => s.us >= p99);
  const clean = spans
    .filter((_, i) => !hit[i])
    .map((s) => s[1])
    .sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  after.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  return {
    replicas,
    kind,
    decisions,
    promptTokens: contextTokens + 400,
    probe: batchedGc ? 'batched-gc' : 'interleaved',
    p50: pct(times, 0.5),
    p90: pct(times, 0.9),
    p99,
    p999: pct(times, 0.999),
    max: times.at(-1),
    coldP50: pct(cold, 0.5),
    warmup: warm.length,
    warmupP50: warm.length > 0 ? pct(warm, 0.5) : null,
    warmupP99: warm.length > 0 ? pct(warm, 0.99) : null,
    afterP50: after.length > 0 ? pct(after, 0.5) : 0,
    // Diagnostics of the tail (the figures above stay those of every decision).
    gcDuringRun: gcs.length,
    decisionsWithGc: hit.filter(Boolean).length,
    slowest1pc: {
      count: slowest.length,
      withGc: slowest.filter((s) => s.gc).length,
      firstOfBatch: batchedGc ? slowest.filter((s) => s.pos === 0).length : null,
    },
    p99WithoutGcDecisions: clean.length > 0 ? pct(clean, 0.99) : null,
    floorP50: pct(floor, 0.5),
    floorP99: pct(floor, 0.99),
    sink: sink & 1,
  };
}

// As a child process: `node [--expose-gc] decision-cost.mjs <replicas> <kind> <decisions> [--warmup N] [--batched-gc]` prints
// the result as JSON.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [replicas, kind, decisions] = process.argv.slice(2);
  const warmupAt = process.argv.indexOf('--warmup');
  const result = await decisionCost({
    replicas: Number(replicas),
    kind,
    decisions: Number(decisions),
    ...(warmupAt > 0 ? { warmup: Number(process.argv[warmupAt + 1]) } : {}),
    batchedGc: process.argv.includes('--batched-gc'),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
}

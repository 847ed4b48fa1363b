// Cost of one routing decision (LoadAwareRouter.choose + dispatched, i.e. what the bridge pays per request) at
// 8 and 64 replicas with ~8k-token prompts, in wall-clock µs on this machine.
//
// The workload is the B2B one at 8k tokens: 150 customers with a ~7,600-token context each, spread over the
// replicas (the precise index is fed those blocks as KV events, the approximate one by earlier dispatches),
// and requests = a customer's context + a new ~400-token question. Every request is a new object whose strings
// are fresh copies (as the broker decodes them), so nothing is memoized across requests except what the
// router itself caches (the per-message block hashes). A separate "cold" figure times the first request of
// each context (tokenizing and hashing 7,600 tokens). The prefix policies hash a request's last message after
// the decision (prefix-policy.ts): that work is timed apart, per request, by flushing it after each batch.
import { LoadAwareRouter, createRoutingPolicy } from '@locallightchat/inference-bridge';
import { SimPromptTokenizer } from '@locallightchat/vllm-sim';
import { rng, text } from './workloads.mjs';

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
const fresh = (s) => Buffer.from(s, 'utf8').toString('utf8');

export function decisionCost({ replicas, kind, decisions = 4000, customers = 150, contextTokens = 7600 }) {
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
  const times = [];
  const after = [];
  // Requests are made in batches of 50 (their fresh 45 KB strings are the harness's garbage, not the router's);
  // with --expose-gc a collection runs between batches, outside the timed region.
  const gc = globalThis.gc;
  for (let done = 0; done < decisions; done += 50) {
    const reqs = Array.from({ length: Math.min(50, decisions - done) }, (_, i) =>
      request(Math.floor(r() * customers), done + i),
    );
    gc?.();
    for (const req of reqs) {
      const t0 = performance.now();
      const backend = router.choose(req, EMPTY);
      const lease = router.dispatched(backend);
      times.push((performance.now() - t0) * 1000);
      lease.done('ok');
    }
    if (policy?.flushDeferred) {
      const t0 = performance.now();
      policy.flushDeferred();
      after.push(((performance.now() - t0) * 1000) / reqs.length);
    }
  }
  router.close();
  times.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  after.sort((a, b) => a - b);
  return {
    replicas,
    kind,
    decisions,
    promptTokens: contextTokens + 400,
    p50: pct(times, 0.5),
    p99: pct(times, 0.99),
    p90: pct(times, 0.9),
    max: times.at(-1),
    coldP50: pct(cold, 0.5),
    afterP50: after.length > 0 ? pct(after, 0.5) : 0,
    gcBetweenBatches: gc !== undefined,
  };
}

// As a child process: `node --expose-gc decision-cost.mjs <replicas> <kind> <decisions>` prints the result as JSON.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [replicas, kind, decisions] = process.argv.slice(2);
  process.stdout.write(
    JSON.stringify(decisionCost({ replicas: Number(replicas), kind, decisions: Number(decisions) })) + '\n',
  );
}

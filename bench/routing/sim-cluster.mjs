// A cluster of simulated vLLM replicas in simulated time: N engines (the simulator's own Engine, manual clock,
// prefix cache and all) behind the bridge's real router (LoadAwareRouter + a routing policy), driven by a
// discrete-event loop. Nothing waits on the wall clock, so results do not depend on this shared machine's load.
//
// What is real: the engines (scheduler, chunked prefill, prefix cache with LRU eviction, preemption), the
// router and its policies (same code as llc-bridge), the KV events (encoded by the simulator's publisher code,
// decoded by the bridge's decoder), the /metrics readings the router scrapes (every 250 ms of simulated time).
// What is modelled: the network (none), the bridge's admission queue (FIFO with the router's availability, as
// AdmissionQueue does, shedding after `maxQueueMs`), and the client (gives up without a first token after
// `clientTimeoutMs`).
import { Engine, SimPromptTokenizer, encodeKvEventBatch, resolveProfile } from '@locallightchat/vllm-sim/internal';
import { LoadAwareRouter, createRoutingPolicy, decodeKvEventBatch } from '@locallightchat/inference-bridge/internal';
import { WORDS } from './workloads.mjs';

class Heap {
  items = [];
  seq = 0;
  push(time, fn) {
    const item = { time, seq: this.seq++, fn };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[p], a[i])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  peek() {
    return this.items[0];
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}
const less = (x, y) => x.time < y.time || (x.time === y.time && x.seq < y.seq);

function answerSource(n, seed) {
  let i = 0;
  const words = [];
  return {
    words,
    next() {
      if (i >= n) return undefined;
      i++;
      const w = ' ' + WORDS[(seed + i * 7919) % WORDS.length];
      words.push(w);
      return { text: w, reasoning: false };
    },
  };
}

export const DEFAULT_CLUSTER = {
  replicas: 8,
  profile: '8b-h100',
  kvCacheTokens: 154_000,
  maxModelLen: 32_768,
  blockSize: 16,
  targetInFlight: 32,
  maxQueueMs: 30_000,
  clientTimeoutMs: 60_000,
  scrapeMs: 250,
  eventDelayMs: 5,
  jitter: 0.1,
};

/**
 * Runs one workload through one router. `workload` = { arrivals, onFinish } (workloads.mjs). Returns every
 * request's record plus per-replica stats.
 */
export async function runCluster({ router: kind, workload, durationMs, warmupMs = 0, seed = 1, ...rest }) {
  const o = { ...DEFAULT_CLUSTER, ...rest };
  const profile = resolveProfile(o.profile, { kvCacheTokens: o.kvCacheTokens, maxModelLen: o.maxModelLen });
  const engines = Array.from(
    { length: o.replicas },
    (_, i) => new Engine({ profile, clock: 'manual', seed: seed * 100 + i, jitter: o.jitter, blockSize: o.blockSize }),
  );
  const tokenizer = new SimPromptTokenizer(o.blockSize);
  let now = 0;
  const heap = new Heap();
  const cache = engines.map(() => ({ queries: 0, hits: 0 }));
  const fetchMetrics = async (url) => {
    const e = engines[Number(/sim-(\d+)/.exec(url)[1])];
    const l = '{model_name="m",engine="0"}';
    return new Response(
      `vllm:num_requests_running${l} ${e.running.length}\nvllm:num_requests_waiting${l} ${e.waiting.length}\nvllm:kv_cache_usage_perc${l} ${e.kv.usage}\n`,
    );
  };
  const policy = createRoutingPolicy({
    kind,
    replicas: o.replicas,
    tokenizer: new SimPromptTokenizer(o.blockSize),
    capacityTokens: o.kvCacheTokens,
    random: rngFn(seed * 7 + 3),
    ...(o.policy ?? {}),
  });
  const router = new LoadAwareRouter({
    backends: engines.map((_, i) => ({
      backend: {
        name: `r${i}`,
        stream: () => {
          throw new Error('simulated');
        },
      },
      metricsUrl: `http://sim-${i}/metrics`,
    })),
    targetInFlight: o.targetInFlight,
    scrapeIntervalMs: o.scrapeMs,
    now: () => now,
    fetch: fetchMetrics,
    random: rngFn(seed * 13 + 5),
    ...(policy ? { policy } : {}),
  });
  const byBackend = new Map(engines.map((e, i) => [`r${i}`, i]));
  engines.forEach((e, i) => {
    e.observe({
      onPrefixCacheQuery(q, h) {
        cache[i].queries += q;
        cache[i].hits += h;
      },
      onKvEvents(events) {
        if (kind !== 'prefix-precise') return;
        // Through the real wire format: the simulator's encoder, the bridge's decoder.
        const batch = decodeKvEventBatch(encodeKvEventBatch(e.now / 1000, events));
        heap.push(e.now + o.eventDelayMs, () => policy.applyEvents(i, batch.events));
      },
    });
  });

  const records = [];
  const queue = [];
  const EMPTY = new Set();
  let queuePeak = 0;
  let queueArea = 0;
  let lastQueueT = 0;
  const noteQueue = () => {
    queueArea += queue.length * (now - lastQueueT);
    lastQueueT = now;
  };
  const dispatch = (rec) => {
    const backend = router.choose(rec.request, EMPTY);
    const lease = router.dispatched(backend);
    // A cache-aware policy records a prompt's last message on the bridge's next event-loop turn, which comes
    // long before the next arrival; simulated time never turns the loop, so that turn happens here.
    policy?.flushDeferred?.();
    const i = byBackend.get(backend.name);
    rec.replica = i;
    rec.dispatched = now;
    const engine = engines[i];
    if (engine.idle && engine.now < now) engine.advance(now - engine.now);
    const source = answerSource(rec.outputTokens, rec.seed);
    let sawFirst = false;
    const listener = {
      onToken() {
        if (sawFirst) return;
        sawFirst = true;
        const t = engine.now;
        heap.push(t, () => {
          if (rec.status !== 'running') return;
          rec.firstToken = t;
          lease.firstToken();
        });
      },
      onFinish(reason, result) {
        const t = engine.now;
        heap.push(t, () => {
          if (rec.status === 'running') {
            rec.status = 'ok';
            rec.finish = t;
            rec.outputTokens = result.completionTokens;
            rec.promptTokens = result.promptTokens;
            rec.cachedTokens = result.cachedPromptTokens;
            for (const next of workload.onFinish(rec.spec, source.words.join(''), t)) arrive(next);
          }
          lease.done('ok');
          pump();
        });
      },
    };
    const ids = tokenizer.chat(rec.request.messages);
    rec.handle = engine.submit(
      {
        id: rec.request.requestId,
        promptTokens: ids.length,
        promptTokenIds: ids,
        maxTokens: rec.outputTokens + 1,
        source,
      },
      listener,
    );
    // The client gives up without a first token after clientTimeoutMs (counted as a failure).
    heap.push(rec.arrival + o.clientTimeoutMs, () => {
      if (rec.status === 'running' && rec.firstToken === undefined) {
        rec.status = 'timeout';
        rec.handle.abort();
      }
    });
  };
  // As AdmissionQueue.pump: walk the queue in order and dispatch every request the router lets go now (a
  // cache-aware policy may hold one back for the full replica that has its prefix).
  const pump = () => {
    noteQueue();
    for (let k = 0; k < queue.length;) {
      const w = queue[k];
      if (now - w.arrival > o.maxQueueMs) {
        queue.splice(k, 1);
        w.status = 'shed';
        continue;
      }
      if (router.availability(w.request, EMPTY) === 'now') {
        queue.splice(k, 1);
        dispatch(w);
      } else k++;
    }
  };
  let n = 0;
  const arrive = (a) =>
    heap.push(a.t, () => {
      const rec = {
        id: a.id,
        spec: a,
        arrival: now,
        outputTokens: a.outputTokens,
        seed: ++n,
        status: 'running',
        request: { requestId: a.id, messages: a.messages, maxTokens: a.outputTokens + 1, affinityKey: a.conversation },
      };
      records.push(rec);
      noteQueue();
      if (queue.length === 0 && router.availability(rec.request, EMPTY) === 'now') dispatch(rec);
      else {
        queue.push(rec);
        queuePeak = Math.max(queuePeak, queue.length);
        // Shed exactly at the deadline if still waiting.
        heap.push(now + o.maxQueueMs + 1, pump);
      }
    });
  for (const a of workload.arrivals) arrive(a);
  // A burst: `size` simultaneous arrivals at `at`; the replicas' in-flight counts are read once all are placed.
  let burstInFlight;
  if (o.burst) {
    for (const a of o.burst.arrivals) arrive({ ...a, t: o.burst.at });
    heap.push(o.burst.at, () => {
      burstInFlight = router
        .status()
        .filter((b) => !b.fallback)
        .map((b) => b.inFlight);
    });
  }
  const scrape = async () => {
    await router.scrapeAll();
    pump();
  };
  let nextScrape = 0;
  const end = durationMs + o.clientTimeoutMs;
  let engineWaitingArea = 0;
  let lastWaitT = 0;
  for (;;) {
    let e = undefined;
    for (const x of engines) if (!x.idle && (e === undefined || x.now < e.now)) e = x;
    const te = e ? e.now : Infinity;
    const th = heap.size ? heap.peek().time : Infinity;
    if (te === Infinity && th === Infinity) break;
    const t = Math.min(te, th, nextScrape);
    if (t > end) break;
    const waiting = engines.reduce((s, x) => s + x.waiting.length, 0);
    engineWaitingArea += waiting * (Math.max(t, now) - lastWaitT);
    lastWaitT = Math.max(t, now);
    if (nextScrape <= te && nextScrape <= th) {
      now = Math.max(now, nextScrape);
      nextScrape += o.scrapeMs;
      await scrape();
    } else if (te <= th) {
      now = Math.max(now, te);
      e.step();
    } else {
      now = Math.max(now, th);
      heap.pop().fn();
    }
  }
  noteQueue();
  router.close();
  return {
    records,
    cache,
    queuePeak,
    meanBridgeQueue: queueArea / Math.max(1, now),
    meanEngineWaiting: engineWaitingArea / Math.max(1, now),
    policy: router.policyStatus() ?? null,
    burstInFlight,
    preemptions: engines.reduce((s, e) => s + e.preemptions, 0),
    durationMs,
    warmupMs,
  };
}

function rngFn(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);

/**
 * The table row of a run: latency, success and cache figures over the requests that arrived after the warm-up
 * and before the end of arrivals; throughput over the requests that finished in that window.
 */
export function summarize(run) {
  const inWindow = run.records.filter((r) => r.arrival >= run.warmupMs && r.arrival < run.durationMs);
  const window = (run.durationMs - run.warmupMs) / 1000;
  const ok = inWindow.filter((r) => r.status === 'ok');
  const admitted = inWindow.filter((r) => r.status !== 'shed');
  const shed = inWindow.length - admitted.length;
  const ttft = ok.map((r) => r.firstToken - r.arrival).sort((a, b) => a - b);
  // Throughput in steady state: tokens of the requests that finished inside the window, whenever they arrived.
  const out = run.records
    .filter((r) => r.status === 'ok' && r.finish >= run.warmupMs && r.finish < run.durationMs)
    .reduce((s, r) => s + r.outputTokens, 0);
  const prompt = ok.reduce((s, r) => s + r.promptTokens, 0);
  const cached = ok.reduce((s, r) => s + r.cachedTokens, 0);
  return {
    requests: inWindow.length,
    admitted: admitted.length,
    shed,
    ok: ok.length,
    failed: admitted.length - ok.length,
    successOfAdmitted: admitted.length ? ok.length / admitted.length : 1,
    outputTokPerSec: out / window,
    ttftP50: pct(ttft, 0.5) / 1000,
    ttftP90: pct(ttft, 0.9) / 1000,
    hitRate: prompt ? cached / prompt : 0,
    meanQueue: run.meanBridgeQueue + run.meanEngineWaiting,
    peakBridgeQueue: run.queuePeak,
    preemptions: run.preemptions,
  };
}

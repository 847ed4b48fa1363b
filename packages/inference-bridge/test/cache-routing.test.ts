/**
 * Cache-aware routing: the prefix index (bisection against a linear scan), the KV event decoder on every shape
 * vLLM has shipped, prompt block hashes equal to the engine's, and the routers on real `llc-vllm-sim`
 * processes: prefix-precise (fed by their KV events over ZMQ) and prefix-approx send each customer's requests
 * to the replica that holds its context — the replicas' own hit counters say so — and a burst spreads evenly.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { startProcess, type StartedProcess } from '@locallightchat/test-support';
import { SimPromptTokenizer } from '@locallightchat/vllm-sim';
import type { InferenceRequest } from '../src/backend.js';
import { OpenAIBackend } from '../src/backends/index.js';
import { hashFullBlocks, rootBlockHash } from '../src/routing/block-hash.js';
import { KvEventDecodeError, decodeKvEventBatch } from '../src/routing/kv-event-codec.js';
import { LoadAwareRouter } from '../src/routing/load-aware-router.js';
import { PrefixIndex } from '../src/routing/prefix-index.js';
import type { PrefixPolicy } from '../src/routing/prefix-policy.js';
import type { ReplicaView } from '../src/routing/routing-policy.js';
import { PromptBlocks } from '../src/routing/prompt-blocks.js';
import { createRoutingPolicy, subscribeKvEvents } from '../src/routing/router-factory.js';
import { eventually } from './support/sims.js';

describe('PrefixIndex', () => {
  it('finds each replica’s longest held prefix by bisection, as a linear scan does', () => {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 200; trial++) {
      const replicas = 1 + Math.floor(rand() * 12);
      const n = 1 + Math.floor(rand() * 80);
      const hashes = Array.from({ length: n }, (_, i) => trial * 1000 + i * 7 + 1);
      const index = new PrefixIndex(replicas);
      const held = Array.from({ length: replicas }, () => Math.floor(rand() * (n + 1)));
      // Prefix-closed holdings, as vLLM's tail-first eviction keeps them.
      held.forEach((k, r) => hashes.slice(0, k).forEach((h) => index.add(h, r)));
      const out = new Int32Array(replicas);
      const best = index.matchLengths({ length: n, at: (i) => hashes[i]! }, out);
      assert.deepEqual(Array.from(out), held, `trial ${trial}`);
      assert.equal(best, Math.max(...held));
    }
  });

  it('counts copies (BlockStored twice, BlockRemoved once keeps it), expires by TTL and bounds a replica by LRU', () => {
    const seq = (a: number[]) => ({ length: a.length, at: (i: number) => a[i]! });
    const out = new Int32Array(2);
    const precise = new PrefixIndex(2);
    precise.add(5, 0);
    precise.add(5, 0);
    precise.remove(5, 0);
    assert.equal(precise.matchLengths(seq([5]), out), 1);
    precise.remove(5, 0);
    assert.equal(precise.matchLengths(seq([5]), out), 0);

    const ttl = new PrefixIndex(2, { ttlMs: 1000 });
    ttl.add(9, 1, 0);
    assert.equal(ttl.matchLengths(seq([9]), out, 999), 1);
    assert.equal(ttl.matchLengths(seq([9]), out, 1001), 0);

    const lru = new PrefixIndex(1, { ttlMs: 1e9, capacityPerReplica: 3 });
    for (const h of [1, 2, 3, 4]) lru.add(h, 0, h);
    assert.equal(lru.holds(1, 0, 10), false, 'the least recently added block was forgotten');
    assert.equal(lru.holds(4, 0, 10), true);
    assert.equal(lru.blocksPerReplica[0], 3);
  });
});

describe('KV event decoder', () => {
  const packr = new Packr({ useRecords: false });
  it('reads map events (vLLM ≥ #42892), tag-first arrays (earlier), an outer map, bytes and 64-bit hashes', () => {
    const big = 2n ** 63n + 12345n;
    const maps = decodeKvEventBatch(
      packr.pack([
        1.5,
        [
          {
            type: 'BlockStored',
            block_hashes: [7, big],
            parent_block_hash: null,
            token_ids: [1, 2],
            block_size: 16,
            medium: 'GPU',
            extra: 1,
          },
          { type: 'BlockRemoved', block_hashes: [7], medium: 'CPU' },
          { type: 'AllBlocksCleared' },
          { type: 'SomethingNew' },
        ],
        0,
      ]),
    );
    assert.equal(maps.ts, 1.5);
    assert.equal(maps.dataParallelRank, 0);
    assert.equal(maps.unknown, 1);
    assert.deepEqual(maps.events[0], {
      type: 'BlockStored',
      blockHashes: [7, Number(big & (2n ** 52n - 1n))],
      parentBlockHash: null,
      medium: 'GPU',
    });
    assert.deepEqual(maps.events[1], { type: 'BlockRemoved', blockHashes: [7], medium: 'CPU' });
    assert.deepEqual(maps.events[2], { type: 'AllBlocksCleared' });

    const arrays = decodeKvEventBatch(
      packr.pack([
        2,
        [
          ['BlockStored', [Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2])], 99, [1], 16, null, 'GPU', null],
          ['BlockRemoved', [3], null],
        ],
      ]),
    );
    assert.deepEqual(arrays.events[0], {
      type: 'BlockStored',
      blockHashes: [0x0102],
      parentBlockHash: 99,
      medium: 'GPU',
    });
    assert.deepEqual(arrays.events[1], { type: 'BlockRemoved', blockHashes: [3], medium: null });
    assert.equal(arrays.dataParallelRank, null);

    const outer = decodeKvEventBatch(
      packr.pack({ ts: 3, events: [{ type: 'AllBlocksCleared' }], data_parallel_rank: 2 }),
    );
    assert.equal(outer.dataParallelRank, 2);
    assert.equal(outer.events.length, 1);
  });

  it('refuses malformed batches with a typed error', () => {
    for (const bad of [
      Uint8Array.from([0xc1]),
      packr.pack('x'),
      packr.pack(['ts', []]),
      packr.pack([1, 'x']),
      packr.pack([1, [5]]),
      packr.pack([1, [{ type: 'BlockStored', block_hashes: [-1] }]]),
    ]) {
      assert.throws(() => decodeKvEventBatch(bad), KvEventDecodeError);
    }
  });
});

describe('PromptBlocks', () => {
  it('gives the engine’s block hashes for the engine’s tokenizer, reusing earlier messages', () => {
    const tokenizer = new SimPromptTokenizer(16);
    const blocks = new PromptBlocks({ tokenizer, seed: 'abc' });
    const turn1 = [
      { role: 'system', content: 'You help with invoices. '.repeat(40) },
      { role: 'user', content: 'Where is my invoice?' },
    ];
    const turn2 = [
      ...turn1,
      { role: 'assistant', content: ' It is in the portal.' },
      { role: 'user', content: 'Thanks, and the receipt?' },
    ];
    for (const messages of [turn1, turn2, turn1]) {
      const expected: number[] = [];
      hashFullBlocks(rootBlockHash('abc'), tokenizer.chat(messages), 16, expected);
      const got = blocks.of(messages);
      assert.deepEqual(got.hashes.toArray(), expected);
      assert.equal(got.units, tokenizer.chat(messages).length);
    }
  });
});

describe('PrefixPolicy: the last message hashed only when it can decide', () => {
  const view = (index: number): ReplicaView => ({
    index,
    name: `r${index}`,
    load: 0,
    waiting: 0,
    kvUsage: 0,
    inFlight: 0,
  });
  const all = (n: number) => Array.from({ length: n }, (_, i) => view(i));
  const context = 'You answer questions about the handbook. '.repeat(60);
  const ask = (id: string, question: string, key = id): InferenceRequest => ({
    requestId: id,
    messages: [
      { role: 'system', content: context },
      { role: 'user', content: question },
    ],
    maxTokens: 8,
    affinityKey: key,
  });
  const approx = (replicas: number) =>
    createRoutingPolicy({ kind: 'prefix-approx', replicas, conversationAffinity: false }) as PrefixPolicy;

  it('PromptBlocks.of(messages, upTo) gives the blocks of the first upTo messages (no generation prompt)', () => {
    const tokenizer = new SimPromptTokenizer(16);
    const blocks = new PromptBlocks({ tokenizer, seed: 'abc' });
    const messages = ask('a', 'Where is my invoice?').messages;
    const expected: number[] = [];
    hashFullBlocks(
      rootBlockHash('abc'),
      tokenizer.chat(messages.slice(0, 1)).slice(0, -tokenizer.suffix.length),
      16,
      expected,
    );
    assert.deepEqual(blocks.of(messages, 1).hashes.toArray(), expected);
    assert.ok(blocks.of(messages).hashes.length > expected.length);
  });

  it('a new customer’s burst in one turn of the event loop lands on one replica (what is new is recorded at once)', () => {
    const policy = approx(4);
    const first = policy.pick(ask('b1', 'First?'), all(4), 0);
    policy.dispatched(ask('b1', 'First?'), first.index, 0);
    const second = policy.pick(ask('b2', 'Second?'), all(4), 1);
    assert.equal(second.index, first.index);
    policy.close();
  });

  it('a regenerate (the same last message) goes where the whole prompt is cached, even with the context on two replicas', () => {
    const policy = approx(3);
    // The context on replicas 0 and 1; the question only on 1 (it answered it before).
    policy.dispatched(ask('r0', 'Another question?'), 0, 0);
    const question = 'Regenerate the answer to this long question, please. '.repeat(4);
    policy.dispatched(ask('r1', question), 1, 0);
    policy.flushDeferred();
    for (let i = 0; i < 20; i++) {
      const again = ask(`r-again-${i}`, question);
      assert.equal(policy.pick(again, all(3), 10).index, 1);
    }
    policy.close();
  });

  it('the last message is recorded after the decision (flushDeferred, or the next turn of the event loop)', async () => {
    const policy = approx(2);
    const turn1 = ask('t1', 'A question long enough to fill blocks of its own. '.repeat(4));
    policy.dispatched(turn1, 1, 0);
    const before = policy.blocksOf(turn1).hashes;
    const held = (n: number) => policy.index.holds(before.at(n), 1, 0);
    assert.equal(held(before.length - 1), false, 'not yet: the decision did not wait for it');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held(before.length - 1), true, 'recorded once the event loop turned');
    policy.close();
  });
});

// ---- on real simulator processes ---------------------------------------------------------------------------

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SIM = ['--conditions=llc-source', '--import', 'tsx', 'packages/vllm-sim/src/cli/sim-cli.ts'];

interface Replica {
  proc: StartedProcess;
  url: string;
  origin: string;
  events: string;
  replay: string;
}

async function startReplica(): Promise<Replica> {
  const proc = await startProcess(
    process.execPath,
    [
      ...SIM,
      '--port',
      '0',
      '--profile',
      'fast',
      '--kv-events-config',
      JSON.stringify({
        enable_kv_cache_events: true,
        endpoint: 'tcp://127.0.0.1:*',
        replay_endpoint: 'tcp://127.0.0.1:*',
      }),
    ],
    // Three simulators start at once, each compiling its TypeScript sources under tsx: at load 40 in the Node 24
    // pass none had printed anything after 30 s. 120 s, as the bridge CLI and tracing tests' ready waits.
    { cwd: root, ready: /listening on (http:\/\/\S+\/v1)/, timeoutMs: 120_000 },
  );
  const ev = /KV events on (tcp:\/\/\S+), replay on (tcp:\/\/\S+)/.exec(proc.output());
  assert.ok(ev, proc.output());
  const url = proc.match[1]!;
  return { proc, url, origin: url.replace(/\/v1$/, ''), events: ev[1]!, replay: ev[2]! };
}

async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

const customerContext = (c: number) =>
  `Customer ${c} contract. ` + `Clause ${c} applies to deliveries and returns. `.repeat(60);

function request(c: number, i: number): InferenceRequest {
  return {
    requestId: `c${c}-${i}`,
    messages: [
      { role: 'system', content: customerContext(c) },
      { role: 'user', content: `Question ${i} about clause ${c}?` },
    ],
    maxTokens: 8,
    affinityKey: `conv-${c}-${i}`,
  };
}

/** Routes and runs one request to the end; returns the replica index. */
async function send(router: LoadAwareRouter, backends: OpenAIBackend[], req: InferenceRequest): Promise<number> {
  const backend = router.choose(req, new Set());
  assert.ok(backend);
  const dispatch = router.dispatched(backend);
  for await (const e of backend.stream(req, new AbortController().signal))
    if (e.type === 'delta') dispatch.firstToken();
  dispatch.done('ok');
  return backends.indexOf(backend as OpenAIBackend);
}

describe('cache-aware routing on real llc-vllm-sim processes', () => {
  const replicas: Replica[] = [];
  before(async () => {
    replicas.push(...(await Promise.all([startReplica(), startReplica(), startReplica()])));
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.proc.stop()));
  });

  for (const kind of ['prefix-precise', 'prefix-approx'] as const) {
    it(`${kind}: every later request of a customer goes where its context is cached, and hits there`, async () => {
      await Promise.all(replicas.map((r) => fetch(`${r.origin}/reset_prefix_cache`, { method: 'POST' })));
      const backends = replicas.map((r) => new OpenAIBackend({ baseURL: r.url }));
      const policy = createRoutingPolicy({ kind, replicas: 3, tokenizer: new SimPromptTokenizer(16) }) as PrefixPolicy;
      const router = new LoadAwareRouter({ backends: backends.map((backend) => ({ backend })), policy });
      const events =
        kind === 'prefix-precise'
          ? subscribeKvEvents(
              policy,
              replicas.map((r) => ({ endpoint: r.events, replayEndpoint: r.replay })),
            )
          : undefined;
      try {
        const home = new Map<number, number>();
        for (let c = 0; c < 6; c++) home.set(c, await send(router, backends, request(c, 0)));
        assert.ok(new Set(home.values()).size >= 2, 'first requests spread (nothing cached yet)');
        if (events) await eventually(() => policy.index.size > 6 * 30, 'KV events reached the index');
        const before = await Promise.all(replicas.map((r) => metric(r.origin, 'vllm:prefix_cache_hits_total')));
        for (let i = 1; i <= 3; i++) {
          for (let c = 0; c < 6; c++)
            assert.equal(await send(router, backends, request(c, i)), home.get(c), `customer ${c}, request ${i}`);
        }
        const afterHits = await Promise.all(replicas.map((r) => metric(r.origin, 'vllm:prefix_cache_hits_total')));
        const gained = afterHits.reduce((s, h, i) => s + h - before[i]!, 0);
        const contextTokens = new SimPromptTokenizer(16).chat(request(0, 1).messages).length;
        // 18 requests, each with (almost) its whole context cached on the replica it went to.
        assert.ok(gained >= 18 * (contextTokens - 40), `hits gained ${gained} ≥ ${18 * (contextTokens - 40)}`);
        if (events)
          assert.deepEqual(
            events.stats().map((s) => s.decodeErrors),
            [0, 0, 0],
          );
      } finally {
        events?.close();
        router.close();
      }
    });
  }

  it('a burst of 60 simultaneous requests over 3 customers spreads within 1.3× across replicas', async () => {
    const backends = replicas.map((r) => new OpenAIBackend({ baseURL: r.url }));
    const policy = createRoutingPolicy({ kind: 'prefix-approx', replicas: 3 });
    const router = new LoadAwareRouter({
      backends: backends.map((backend) => ({ backend })),
      ...(policy ? { policy } : {}),
    });
    try {
      const leases = Array.from({ length: 60 }, (_, i) => {
        const backend = router.choose(request(i % 3, 100 + i), new Set())!;
        return router.dispatched(backend);
      });
      const inFlight = router.status().map((s) => s.inFlight);
      assert.ok(Math.max(...inFlight) / Math.min(...inFlight) <= 1.3, `in flight ${inFlight.join(', ')}`);
      for (const l of leases) l.done('ok');
    } finally {
      router.close();
    }
  });
});

/**
 * The simulator's prefix cache against an independent computation: requests with shared prefixes run one after
 * another, and the hits the engine reports (vLLM's `prefix_cache_hits` counter) must equal what a plain
 * longest-common-prefix over the earlier sequences predicts. Also: LRU eviction of unreferenced blocks only,
 * usage that ignores cached-but-free blocks, prefill cost counting uncached tokens only, and the counters on
 * /metrics over HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Engine,
  EOS_TOKEN_ID,
  SimPromptTokenizer,
  resolveProfile,
  startSimulator,
  tokenId,
  tokenize,
  type SequenceResult,
  type StepRecord,
  type TokenSource,
} from '../src/internal.js';

const BS = 16;

function engine(kvCacheTokens: number): Engine {
  const profile = resolveProfile('fast', { kvCacheTokens, maxModelLen: Math.min(8192, kvCacheTokens) });
  return new Engine({ profile, clock: 'manual', jitter: 0 });
}

/** An answer of `n` fixed words (so the test knows the generated token ids). */
function answer(n: number, salt: number): { source: TokenSource; ids: number[] } {
  const words = Array.from({ length: n }, (_, i) => ` w${(salt * 31 + i) % 97}x`);
  let i = 0;
  return {
    source: { next: () => (i < n ? { text: words[i++]!, reasoning: false } : undefined) },
    ids: words.map(tokenId),
  };
}

function run(e: Engine, prompt: number[], out: number, salt: number) {
  const a = answer(out, salt);
  let result: SequenceResult | undefined;
  e.submit(
    { id: `r${salt}`, promptTokens: prompt.length, promptTokenIds: prompt, maxTokens: out + 1, source: a.source },
    { onToken: () => undefined, onFinish: (_r, res) => (result = res) },
  );
  e.runUntilIdle();
  assert.ok(result);
  // Every token but the last sampled one (EOS) has its KV computed, so those are what later prompts can hit.
  return { result, computed: [...prompt, ...a.ids, EOS_TOKEN_ID].slice(0, prompt.length + out) };
}

function lcp(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe('prefix cache (engine)', () => {
  it('hit counters equal an independent longest-common-prefix computation over 120 requests', () => {
    const e = engine(400_000); // large enough that nothing is evicted
    let queries = 0;
    let hits = 0;
    e.observe({
      onPrefixCacheQuery(q, h) {
        queries += q;
        hits += h;
      },
    });
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const prefixes = Array.from({ length: 6 }, (_, p) =>
      Array.from({ length: 40 + p * 37 }, (_, i) => 1000 + p * 500 + i),
    );
    const seen: number[][] = [];
    let expectedHits = 0;
    let expectedQueries = 0;
    for (let k = 0; k < 120; k++) {
      // A shared prefix, sometimes an earlier sequence's full text (a next turn), then a unique tail.
      const base =
        rand() < 0.3 && seen.length > 0
          ? seen[Math.floor(rand() * seen.length)]!
          : prefixes[Math.floor(rand() * prefixes.length)]!;
      const tail = Array.from({ length: 1 + Math.floor(rand() * 60) }, () => 50_000 + Math.floor(rand() * 50_000));
      const prompt = [...base, ...tail];
      let best = 0;
      for (const s of seen) best = Math.max(best, Math.floor(lcp(prompt, s) / BS));
      const expected = Math.min(best, Math.floor((prompt.length - 1) / BS)) * BS;
      expectedHits += expected;
      expectedQueries += prompt.length;
      const { result, computed } = run(e, prompt, 1 + Math.floor(rand() * 40), k);
      assert.equal(result.cachedPromptTokens, expected, `request ${k}`);
      seen.push(computed);
    }
    assert.equal(queries, expectedQueries);
    assert.equal(hits, expectedHits);
    assert.ok(hits > queries * 0.3, `a fair share hit (${hits}/${queries})`);
  });

  it('prefills only uncached tokens, and a hit needs fewer prefill tokens and less time to first token', () => {
    const e = engine(100_000);
    const steps: StepRecord[] = [];
    e.observe({ onStep: (s) => steps.push(s) });
    const prompt = Array.from({ length: 3000 }, (_, i) => 300 + i);
    const first = run(e, prompt, 5, 1).result;
    const prefillFirst = steps.reduce((s, x) => s + x.prefillTokens, 0);
    steps.length = 0;
    const second = run(e, [...prompt.slice(0, 2990), 9, 9, 9], 5, 2).result;
    const prefillSecond = steps.reduce((s, x) => s + x.prefillTokens, 0);
    assert.equal(first.cachedPromptTokens, 0);
    assert.equal(second.cachedPromptTokens, Math.floor(2990 / BS) * BS);
    assert.equal(prefillFirst, 3000);
    assert.equal(prefillSecond, 2993 - second.cachedPromptTokens);
    const ttft = (r: SequenceResult) => r.firstTokenMs! - r.arrivalMs;
    assert.ok(ttft(second) < ttft(first) / 2, `${ttft(second)} < ${ttft(first)} / 2`);
  });

  it('evicts the least recently used unreferenced blocks, and usage counts referenced blocks only', () => {
    const e = engine(4096); // 256 blocks
    const a = Array.from({ length: 1600 }, (_, i) => 10 + i);
    const b = Array.from({ length: 1600 }, (_, i) => 20_000 + i);
    const c = Array.from({ length: 2600 }, (_, i) => 40_000 + i);
    run(e, a, 3, 1);
    assert.equal(e.stats().kvUsage, 0, 'a finished sequence references nothing');
    assert.ok(e.stats().cachedBlocks >= 100, 'but its blocks stay cached');
    run(e, b, 3, 2);
    run(e, a, 3, 3); // a is touched again: now more recent than b
    // c needs 163 blocks: the 54 never used, then the least recently used: all of b (tail first), then a's tail.
    run(e, c, 3, 4);
    const aHit = run(e, a, 3, 5).result.cachedPromptTokens;
    assert.ok(aHit >= 1400 && aHit < 1584, `a lost only its tail (${aHit} of 1584 tokens still cached)`);
    assert.equal(run(e, b, 3, 6).result.cachedPromptTokens, 0, 'b was evicted');
  });

  it('reports prefix-cache counters and cache config on /metrics, and resets the cache over HTTP', async () => {
    const sim = await startSimulator({ profile: 'fast', jitter: 0 });
    try {
      const system = 'You answer questions about the ACME handbook. ' + 'Section text follows here. '.repeat(120);
      const ask = async (q: string) => {
        const res = await fetch(`${sim.url}/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: q },
            ],
            max_tokens: 5,
          }),
        });
        return ((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
      };
      const p1 = await ask('first question');
      const p2 = await ask('a second question');
      const tokenizer = new SimPromptTokenizer(BS);
      const ids1 = tokenizer.chat([
        { role: 'system', content: system },
        { role: 'user', content: 'first question' },
      ]);
      const ids2 = tokenizer.chat([
        { role: 'system', content: system },
        { role: 'user', content: 'a second question' },
      ]);
      assert.equal(ids1.length, p1);
      assert.equal(ids2.length, p2);
      assert.ok(tokenize(system).length > 500);
      const text = await (await fetch(`${sim.origin}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      assert.equal(value('vllm:prefix_cache_queries_total'), p1 + p2);
      assert.equal(value('vllm:prefix_cache_hits_total'), Math.floor(lcp(ids1, ids2) / BS) * BS);
      assert.match(text, /vllm:cache_config_info\{block_size="16",num_gpu_blocks="12500",enable_prefix_caching="True"/);
      const reset = (await (await fetch(`${sim.origin}/reset_prefix_cache`, { method: 'POST' })).json()) as {
        reset: boolean;
      };
      assert.equal(reset.reset, true);
      assert.equal(sim.engine.stats().cachedBlocks, 0);
    } finally {
      await sim.close();
    }
  });
});

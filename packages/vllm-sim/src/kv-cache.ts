/**
 * The KV cache of one replica with vLLM's automatic prefix caching (V1 `BlockPool` + `KVCacheManager`):
 *
 * - Memory is `numBlocks` blocks of `blockSize` tokens. A sequence holds a block table; a block's reference
 *   count says how many running sequences use it.
 * - When a block is full and its tokens are known, it gets a chained hash (block-hash.ts: parent hash + its
 *   tokens) and is registered in the cache: a later sequence whose prompt starts with the same tokens reuses it
 *   instead of computing it again (a cache hit skips that part of the prefill).
 * - Freed blocks go to a free queue in LRU order and keep their hash: they stay reusable until the queue's head
 *   is taken for a new allocation, which evicts it. A sequence's blocks are freed tail first, so a prompt's end
 *   is evicted before its shared beginning (vLLM's order).
 * - `usage` counts referenced blocks only: a cached but unreferenced block is free (vLLM's
 *   `kv_cache_usage_perc`).
 * - Every registration and eviction becomes a KV event (BlockStored / BlockRemoved; AllBlocksCleared on reset),
 *   as vLLM publishes with `--kv-events-config`.
 *
 * Sequences without token ids (engine tests that give only a prompt length) are never cached.
 */
import { hashBlock, rootBlockHash } from '@locallightchat/inference-bridge';

export type KvCacheEvent =
  | {
      type: 'BlockStored';
      blockHashes: number[];
      parentBlockHash: number | null;
      tokenIds: number[];
      blockSize: number;
    }
  | { type: 'BlockRemoved'; blockHashes: number[] }
  | { type: 'AllBlocksCleared' };

/** What the cache needs from a sequence. */
export interface CachedSequence {
  /** Token ids known so far (prompt, then every sampled token); undefined = not cacheable. */
  readonly tokenIds: number[] | undefined;
  /** Tokens whose KV is computed. */
  computed: number;
  /** The block table. */
  blockIds: number[];
  /** Hashes of the sequence's full blocks, computed as they fill (kept across preemption, as vLLM does). */
  readonly blockHashes: number[];
  /** How many of the leading blocks in the table are registered in the cache. */
  cachedBlocks: number;
}

export interface KvCacheOptions {
  numBlocks: number;
  blockSize: number;
  /** vLLM `--enable-prefix-caching` (the default in V1). */
  caching: boolean;
  /** Seed of the first block's parent hash (vLLM: PYTHONHASHSEED). */
  hashSeed?: number | string;
}

export class KvCache {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly caching: boolean;
  readonly rootHash: number;
  private readonly refCount: Int32Array;
  private readonly hash: Float64Array;
  /** Doubly linked free queue over block ids; index `numBlocks` is the sentinel. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private freeCount: number;
  /** Hash → blocks holding it (vLLM does not de-duplicate: two sequences may compute the same block). */
  private readonly cached = new Map<number, number[]>();
  private events: KvCacheEvent[] = [];

  constructor(options: KvCacheOptions) {
    const { numBlocks, blockSize } = options;
    if (!(Number.isInteger(numBlocks) && numBlocks >= 1))
      throw new RangeError(`numBlocks must be ≥ 1, got ${numBlocks}`);
    if (!(Number.isInteger(blockSize) && blockSize >= 1))
      throw new RangeError(`blockSize must be ≥ 1, got ${blockSize}`);
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.caching = options.caching;
    this.rootHash = rootBlockHash(options.hashSeed ?? 0);
    this.refCount = new Int32Array(numBlocks);
    this.hash = new Float64Array(numBlocks).fill(NaN);
    this.prev = new Int32Array(numBlocks + 1);
    this.next = new Int32Array(numBlocks + 1);
    // Initially every block is free, in id order.
    for (let i = 0; i <= numBlocks; i++) {
      this.prev[i] = i === 0 ? numBlocks : i - 1;
      this.next[i] = i === numBlocks ? 0 : i + 1;
    }
    this.freeCount = numBlocks;
  }

  /** Blocks that can be allocated (free, including cached blocks nobody references). */
  get free(): number {
    return this.freeCount;
  }

  /** Blocks referenced by sequences. */
  get used(): number {
    return this.numBlocks - this.freeCount;
  }

  /** vLLM's `kv_cache_usage_perc`: referenced blocks / all blocks. */
  get usage(): number {
    return this.used / this.numBlocks;
  }

  /** Blocks registered in the prefix cache (referenced or not). */
  get cachedBlockCount(): number {
    let n = 0;
    for (const ids of this.cached.values()) n += ids.length;
    return n;
  }

  /** Events since the last call (the engine publishes them once per step, as vLLM does). */
  takeEvents(): KvCacheEvent[] {
    if (this.events.length === 0) return [];
    const out = this.events;
    this.events = [];
    return out;
  }

  /**
   * Leading blocks of a waiting sequence found in the cache. As in vLLM, at most `known − 1` tokens can hit
   * (the last token is always computed, to get logits).
   */
  lookup(seq: CachedSequence, knownTokens: number): number {
    if (!this.caching || !seq.tokenIds) return 0;
    const max = Math.floor((knownTokens - 1) / this.blockSize);
    this.hashUpTo(seq, max);
    let hits = 0;
    while (hits < max && this.cached.has(seq.blockHashes[hits]!)) hits++;
    return hits;
  }

  /** Free blocks left once the sequence's `hits` cached blocks are taken back from the free queue. */
  freeAfterHits(seq: CachedSequence, hits: number): number {
    let taken = 0;
    for (let i = 0; i < hits; i++) if (this.refCount[this.cached.get(seq.blockHashes[i]!)![0]!] === 0) taken++;
    return this.freeCount - taken;
  }

  /** Gives a waiting sequence its `hits` cached blocks (they count as computed). */
  reuse(seq: CachedSequence, hits: number): void {
    for (let i = 0; i < hits; i++) {
      const block = this.cached.get(seq.blockHashes[i]!)![0]!;
      if (this.refCount[block] === 0) this.unlink(block);
      this.refCount[block]!++;
      seq.blockIds.push(block);
    }
    seq.cachedBlocks = hits;
    seq.computed = hits * this.blockSize;
  }

  /** Blocks a sequence must add to grow its computed tokens by `tokens`. */
  blocksToGrow(seq: CachedSequence, tokens: number): number {
    return Math.max(0, Math.ceil((seq.computed + tokens) / this.blockSize) - seq.blockIds.length);
  }

  /** Takes `n` blocks from the head of the free queue (the least recently used), evicting their hashes. */
  allocate(seq: CachedSequence, n: number): void {
    if (n > this.freeCount) throw new RangeError(`cannot allocate ${n} blocks, ${this.freeCount} free`);
    for (let i = 0; i < n; i++) {
      const block = this.next[this.numBlocks]!;
      this.unlink(block);
      this.evict(block);
      this.refCount[block] = 1;
      seq.blockIds.push(block);
    }
  }

  /** Registers the sequence's blocks that are now full and computed (a BlockStored event for them). */
  commit(seq: CachedSequence): void {
    if (!this.caching || !seq.tokenIds) return;
    const full = Math.min(Math.floor(seq.computed / this.blockSize), seq.blockIds.length);
    if (full <= seq.cachedBlocks) return;
    this.hashUpTo(seq, full);
    const first = seq.cachedBlocks;
    const hashes: number[] = [];
    for (let i = first; i < full; i++) {
      const block = seq.blockIds[i]!;
      const h = seq.blockHashes[i]!;
      this.hash[block] = h;
      const holders = this.cached.get(h);
      if (holders) holders.push(block);
      else this.cached.set(h, [block]);
      hashes.push(h);
    }
    seq.cachedBlocks = full;
    this.events.push({
      type: 'BlockStored',
      blockHashes: hashes,
      parentBlockHash: first === 0 ? null : seq.blockHashes[first - 1]!,
      tokenIds: seq.tokenIds.slice(first * this.blockSize, full * this.blockSize),
      blockSize: this.blockSize,
    });
  }

  /** Frees a sequence's blocks, tail first (so the tail is evicted first); cached ones stay reusable. */
  release(seq: CachedSequence): void {
    for (let i = seq.blockIds.length - 1; i >= 0; i--) {
      const block = seq.blockIds[i]!;
      if (--this.refCount[block]! === 0) {
        // A block that never got a hash (partial, or caching off) is simply free.
        this.append(block);
      }
    }
    seq.blockIds = [];
    seq.cachedBlocks = 0;
    seq.computed = 0;
  }

  /** Drops every unreferenced cached block (vLLM's `reset_prefix_cache`); false while blocks are in use. */
  reset(): boolean {
    if (this.used > 0) return false;
    for (const ids of this.cached.values()) for (const b of ids) this.hash[b] = NaN;
    this.cached.clear();
    this.events.push({ type: 'AllBlocksCleared' });
    return true;
  }

  private hashUpTo(seq: CachedSequence, blocks: number): void {
    const tokens = seq.tokenIds!;
    const bs = this.blockSize;
    const hashes = seq.blockHashes;
    let parent = hashes.length === 0 ? this.rootHash : hashes[hashes.length - 1]!;
    while (hashes.length < blocks && (hashes.length + 1) * bs <= tokens.length) {
      const start = hashes.length * bs;
      parent = hashBlock(parent, tokens, start, start + bs);
      hashes.push(parent);
    }
  }

  private evict(block: number): void {
    const h = this.hash[block]!;
    if (Number.isNaN(h)) return;
    this.hash[block] = NaN;
    const holders = this.cached.get(h);
    if (holders) {
      const at = holders.indexOf(block);
      if (at >= 0) holders.splice(at, 1);
      if (holders.length === 0) this.cached.delete(h);
    }
    this.events.push({ type: 'BlockRemoved', blockHashes: [h] });
  }

  private unlink(block: number): void {
    const p = this.prev[block]!;
    const n = this.next[block]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.freeCount--;
  }

  private append(block: number): void {
    const tail = this.prev[this.numBlocks]!;
    this.next[tail] = block;
    this.prev[block] = tail;
    this.next[block] = this.numBlocks;
    this.prev[this.numBlocks] = block;
    this.freeCount++;
  }
}

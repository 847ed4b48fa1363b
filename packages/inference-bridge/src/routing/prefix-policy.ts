/**
 * Cache-aware routing: send a request to the replica that already holds the longest prefix of its prompt, as
 * long as that replica is not saturated ("sticky until saturated", as llm-d's default scorer and SGLang's
 * balance thresholds: pure stickiness collapses under load).
 *
 * - Pressure of a candidate = its load (this bridge's in-flight requests, counted at dispatch, plus the
 *   others' at the last scrape) + `waitingWeight` × its queue. A candidate is eligible while its pressure is
 *   within `balanceAbs` requests, or `balanceRel` of the least pressure, of the least loaded candidate: a
 *   burst spreads over every replica instead of herding onto the one holding a shared prompt.
 * - Among the eligible: the longest cached prefix wins; ties go to the conversation's last replica (a cheap
 *   hint for multi-turn chats), then to the lower pressure, then at random. With no prefix anywhere the least
 *   pressured eligible replica wins (the conversation's last one if eligible).
 *
 * Two ways to know what each replica holds ({@link PrefixIndex}):
 * - `approx`: our own record of what we sent where (every block of the prompt, at dispatch), forgotten after
 *   `ttlMs` — no engine cooperation needed, hashes over characters (no tokenizer);
 * - `precise`: vLLM's KV events (BlockStored / BlockRemoved / AllBlocksCleared), fed by {@link applyEvents},
 *   hashes over the engine's token ids (its tokenizer and block size must be given). A prompt dispatched in the
 *   last `speculativeMs` also counts for its replica (its blocks are only reported once prefilled), so the
 *   requests of a new conversation or customer that arrive during that first prefill do not scatter.
 *
 * A prompt's block hashes are computed once per request (memoized on the request object) and incrementally per
 * message (prompt-blocks.ts). A decision needs only the blocks before the last message: that message is new in
 * almost every request (a chat's next question), so no replica can hold its blocks unless two or more hold all
 * the blocks before it (a regenerate, a retry) — only then is it tokenized and hashed before deciding. Otherwise
 * its blocks are hashed and recorded after the decision, off the request's path (setImmediate): tokenizing and
 * hashing a 400-token question cost 45–70 µs here, two thirds of a decision.
 */
import type { InferenceRequest } from '../backend.js';
import type { KvEvent } from './kv-event-codec.js';
import { PrefixIndex } from './prefix-index.js';
import type { PromptBlockList, PromptBlocks, PromptSegment } from './prompt-blocks.js';
import type { ReplicaView, RoutingPolicy } from './routing-policy.js';

export interface PrefixPolicyOptions {
  mode: 'approx' | 'precise';
  replicas: number;
  /** Hashes prompts (characters for approx; the engine's tokenizer for precise). */
  blocks: PromptBlocks;
  /** Approx: how long a dispatch is remembered, ms. */
  ttlMs?: number;
  /** Most blocks remembered in the index. */
  maxIndexEntries?: number;
  /**
   * Approx: each replica's KV cache in blocks of the policy's units; beyond it the replica's least recently
   * routed blocks are forgotten (vLLM's LRU eviction, approximated). Default: unbounded (TTL only).
   */
  capacityBlocks?: number;
  /**
   * Admission under saturation: a request whose prefix (at least `affinityMinShare` of its blocks) sits on a
   * replica that is full waits for that replica, up to this long, rather than go where it would be recomputed
   * (ms; 0 = never wait).
   */
  affinityWaitMs?: number;
  affinityMinShare?: number;
  /**
   * Precise: how long a dispatch counts as "its prompt will be cached there" before the engine's BlockStored
   * events arrive (they come only once the prefill is done), ms; 0 = events only.
   */
  speculativeMs?: number;
  /** A replica stays eligible while its pressure ≤ least + max(balanceAbs, balanceRel × least). */
  balanceAbs?: number;
  balanceRel?: number;
  /** Weight of one request waiting in a replica's queue, on top of its count in the load. */
  waitingWeight?: number;
  /** Remember each conversation's last replica (`request.affinityKey`) as a tie-breaker. */
  conversationAffinity?: boolean;
  maxConversations?: number;
  random?: () => number;
}

export const DEFAULT_PREFIX_POLICY = {
  ttlMs: 300_000,
  maxIndexEntries: 2_000_000,
  capacityBlocks: Infinity,
  affinityWaitMs: 2000,
  affinityMinShare: 0.5,
  speculativeMs: 2000,
  balanceAbs: 4,
  balanceRel: 0.25,
  waitingWeight: 1,
  conversationAffinity: true,
  maxConversations: 200_000,
} as const;

/** How long an admission check's prefix matches are reused, ms. */
const ADMIT_MEMO_MS = 100;

export class PrefixPolicy implements RoutingPolicy {
  readonly name: string;
  readonly index: PrefixIndex;
  /** Precise: prompts dispatched in the last `speculativeMs`, whose blocks the engine has not reported yet. */
  private readonly speculative?: PrefixIndex;
  private readonly speculativeMatch: Int32Array;
  private readonly options: Required<Omit<PrefixPolicyOptions, 'random'>>;
  private readonly random: () => number;
  private readonly memo = new WeakMap<InferenceRequest, PromptBlockList>();
  /**
   * The blocks of every message but the last, of the request last decided: `dispatched` follows `pick` for the
   * same request, so one slot serves both (a WeakMap entry per request cost ~2 µs of a ~25 µs decision, and
   * its table grows until a collection). A request decided again later is looked up again (cheap: trie hits).
   */
  private lastPrefix?: { request: InferenceRequest; list: PromptBlockList };
  /** Dispatches whose last message is still to be hashed and recorded (after the decision). */
  private deferred: { request: InferenceRequest; index: number; at: number }[] = [];
  private deferredFlush?: ReturnType<typeof setImmediate>;
  private readonly firstAsked = new WeakMap<InferenceRequest, number>();
  /** Admission asks about every queued request on every capacity change: its matches are reused briefly. */
  /** Approx: when each message segment was last recorded on each replica (refreshes skip whole segments). */
  private readonly recorded = new WeakMap<PromptSegment, Float64Array>();
  private readonly speculativeRecorded = new WeakMap<PromptSegment, Float64Array>();
  private readonly admitMemo = new WeakMap<InferenceRequest, { at: number; match: Int32Array }>();
  private readonly conversations = new Map<string, number>();
  private readonly match: Int32Array;
  /** Decisions by outcome, for the bench and logs. */
  readonly decisions = { prefix: 0, hint: 0, leastLoaded: 0, released: 0, waited: 0 };

  constructor(options: PrefixPolicyOptions) {
    this.options = { ...DEFAULT_PREFIX_POLICY, ...options };
    this.random = options.random ?? Math.random;
    this.name = options.mode === 'approx' ? 'prefix-approx' : 'prefix-precise';
    this.index = new PrefixIndex(options.replicas, {
      maxEntries: this.options.maxIndexEntries,
      ...(options.mode === 'approx'
        ? { ttlMs: this.options.ttlMs, capacityPerReplica: this.options.capacityBlocks }
        : {}),
    });
    this.match = new Int32Array(options.replicas);
    this.speculativeMatch = new Int32Array(options.replicas);
    if (options.mode === 'precise' && this.options.speculativeMs > 0)
      this.speculative = new PrefixIndex(options.replicas, { ttlMs: this.options.speculativeMs, maxEntries: 200_000 });
  }

  /** Per replica, leading blocks held: the index's, or (precise) those of a dispatch not yet reported. */
  private matchInto(hashes: PromptBlockList['hashes'], out: Int32Array, now: number): number {
    let longest = this.index.matchLengths(hashes, out, now);
    if (this.speculative) {
      longest = Math.max(longest, this.speculative.matchLengths(hashes, this.speculativeMatch, now));
      for (let r = 0; r < out.length; r++) out[r] = Math.max(out[r]!, this.speculativeMatch[r]!);
    }
    return longest;
  }

  /** The request's block hashes (computed once per request object). */
  blocksOf(request: InferenceRequest): PromptBlockList {
    let list = this.memo.get(request);
    if (!list) {
      list = this.options.blocks.of(request.messages);
      this.memo.set(request, list);
    }
    return list;
  }

  /** The blocks of the request's messages but the last (the whole prompt's when those are known already). */
  private prefixOf(request: InferenceRequest): PromptBlockList {
    if (this.lastPrefix?.request === request) return this.lastPrefix.list;
    const list = this.memo.get(request) ?? this.options.blocks.of(request.messages, request.messages.length - 1);
    this.lastPrefix = { request, list };
    return list;
  }

  /**
   * Per replica, the leading blocks of the request's prompt it holds (into `this.match`), from the blocks before
   * the last message where that decides the same: a replica can hold a block of the last message only if it
   * holds every block before it, so the whole prompt is needed only when two or more replicas do.
   */
  private matchRequest(request: InferenceRequest, now: number): number {
    const list = this.prefixOf(request);
    const longest = this.matchInto(list.hashes, this.match, now);
    if (list === this.memo.get(request)) return longest;
    let holdAll = 0;
    for (let r = 0; r < this.match.length; r++) if (this.match[r] === list.hashes.length) holdAll++;
    return holdAll < 2 ? longest : this.matchInto(this.blocksOf(request).hashes, this.match, now);
  }

  pick(request: InferenceRequest, candidates: readonly ReplicaView[], now: number): ReplicaView {
    const { balanceAbs, balanceRel, waitingWeight } = this.options;
    let least = Infinity;
    for (const c of candidates) least = Math.min(least, c.load + waitingWeight * c.waiting);
    const limit = least + Math.max(balanceAbs, balanceRel * least);
    const longest = this.matchRequest(request, now);
    const hint =
      this.options.conversationAffinity && request.affinityKey !== undefined
        ? this.conversations.get(request.affinityKey)
        : undefined;
    let best: ReplicaView | undefined;
    let bestMatch = 0;
    let bestHint = false;
    let bestPressure = 0;
    let ties = 0;
    for (const c of candidates) {
      const pressure = c.load + waitingWeight * c.waiting;
      if (pressure > limit) continue;
      const m = this.match[c.index]!;
      const h = c.index === hint;
      // Longest prefix, then the conversation's replica, then the lower pressure; equal ones uniformly.
      const order = !best
        ? 1
        : m !== bestMatch
          ? m - bestMatch
          : h !== bestHint
            ? h
              ? 1
              : -1
            : bestPressure - pressure;
      if (order > 0) {
        best = c;
        bestMatch = m;
        bestHint = h;
        bestPressure = pressure;
        ties = 1;
      } else if (order === 0 && this.random() * ++ties < 1) best = c;
    }
    // `least` comes from a candidate, so at least one is eligible.
    const chosen = best!;
    if (bestMatch > 0) this.decisions.prefix++;
    else if (chosen.index === hint) this.decisions.hint++;
    else this.decisions.leastLoaded++;
    if (longest > bestMatch) this.decisions.released++;
    return chosen;
  }

  admit(
    request: InferenceRequest,
    ready: readonly ReplicaView[],
    healthy: readonly ReplicaView[],
    now: number,
  ): boolean {
    const { affinityWaitMs, affinityMinShare } = this.options;
    if (affinityWaitMs <= 0 || ready.length === healthy.length) return true;
    let first = this.firstAsked.get(request);
    if (first === undefined) this.firstAsked.set(request, (first = now));
    if (now - first >= affinityWaitMs) return true;
    const hashes = this.blocksOf(request).hashes;
    if (hashes.length === 0) return true;
    let memo = this.admitMemo.get(request);
    if (!memo || now - memo.at > ADMIT_MEMO_MS) {
      memo = { at: now, match: new Int32Array(this.options.replicas) };
      this.matchInto(hashes, memo.match, now);
      this.admitMemo.set(request, memo);
    }
    let busyBest = 0;
    for (const h of healthy) busyBest = Math.max(busyBest, memo.match[h.index]!);
    let readyBest = 0;
    for (const r of ready) readyBest = Math.max(readyBest, memo.match[r.index]!);
    const blocks = hashes.length;
    // Wait only when a full replica holds a good share of the prompt and those with room hold much less.
    const wait = busyBest >= affinityMinShare * blocks && readyBest < busyBest / 2;
    if (wait) this.decisions.waited++;
    return !wait;
  }

  dispatched(request: InferenceRequest, index: number, now: number): void {
    // Blocks the index does not hold yet are recorded now (a burst of a new customer's requests must find each
    // other); the last message's, and the refresh of what is held, once the decision is out of the way.
    this.recordDispatch(this.memo.get(request) ?? this.prefixOf(request), index, now, true);
    if (this.options.mode === 'approx' || this.speculative) {
      this.deferred.push({ request, index, at: now });
      this.deferredFlush ??= setImmediate(() => this.flushDeferred());
    }
    const key = request.affinityKey;
    if (this.options.conversationAffinity && key !== undefined) {
      this.conversations.delete(key);
      this.conversations.set(key, index);
      if (this.conversations.size > this.options.maxConversations) {
        const oldest = this.conversations.keys().next().value;
        if (oldest !== undefined) this.conversations.delete(oldest);
      }
    }
  }

  private recordDispatch(list: PromptBlockList, index: number, now: number, newOnly: boolean): void {
    if (this.options.mode === 'approx') this.record(list, index, now, this.index, this.recorded, newOnly);
    else if (this.speculative) this.record(list, index, now, this.speculative, this.speculativeRecorded, newOnly);
  }

  /** Hashes and records the last messages of recent dispatches (see the module note). */
  flushDeferred(): void {
    if (this.deferredFlush) clearImmediate(this.deferredFlush);
    this.deferredFlush = undefined;
    const batch = this.deferred;
    this.deferred = [];
    // Not memoized: a dispatched request is not decided again (a retry finds its messages in the trie).
    for (const d of batch) {
      const list = this.memo.get(d.request) ?? this.options.blocks.of(d.request.messages);
      this.recordDispatch(list, d.index, d.at, false);
    }
  }

  close(): void {
    if (this.deferredFlush) clearImmediate(this.deferredFlush);
    this.deferredFlush = undefined;
    this.deferred = [];
    this.lastPrefix = undefined;
  }

  /**
   * Approx: remember the prompt on replica `index`. Blocks go in tail first (so the index forgets a prompt's end
   * before its shared beginning, like vLLM's eviction), and a message segment recorded on that replica less than
   * `ttlMs / 8` ago is not written again: a hot 6,000-token context costs one check per request, not 400 writes.
   * Precise: a segment the engine has reported for that replica is not speculated again. `newOnly`: only
   * segments the index does not hold for that replica (the decision's path; refreshes come after it).
   */
  private record(
    list: PromptBlockList,
    index: number,
    now: number,
    into: PrefixIndex,
    recorded: WeakMap<PromptSegment, Float64Array>,
    newOnly: boolean,
  ): void {
    const refreshMs = into === this.index ? Math.min(this.options.ttlMs / 8, 1000) : this.options.speculativeMs / 8;
    const segments = list.segments;
    for (let s = segments.length - 1; s >= 0; s--) {
      const segment = segments[s]!;
      if (segment.blocks.length === 0) continue;
      const last = segment.blocks.at(-1)!;
      if (into !== this.index && this.index.holds(last, index, now)) continue;
      const held = into.holds(last, index, now);
      if (held && newOnly) continue;
      let stamps = recorded.get(segment);
      if (!stamps) recorded.set(segment, (stamps = new Float64Array(this.options.replicas).fill(-Infinity)));
      if (held && now - stamps[index]! < refreshMs) continue;
      stamps[index] = now;
      const blocks = segment.blocks;
      for (let b = blocks.length - 1; b >= 0; b--) into.add(blocks[b]!, index, now);
    }
  }

  /** Precise mode: a replica's KV events, in order. Blocks on tiers other than the GPU are not counted. */
  applyEvents(replica: number, events: readonly KvEvent[]): void {
    for (const e of events) {
      if (e.type === 'AllBlocksCleared') this.index.clearReplica(replica);
      else if (e.medium === null || e.medium === 'GPU') {
        if (e.type === 'BlockStored') for (const h of e.blockHashes) this.index.add(h, replica);
        else for (const h of e.blockHashes) this.index.remove(h, replica);
      }
    }
  }

  status(): Record<string, unknown> {
    return {
      policy: this.name,
      indexedBlocks: this.index.size,
      blocksPerReplica: Array.from(this.index.blocksPerReplica),
      decisions: { ...this.decisions },
    };
  }
}

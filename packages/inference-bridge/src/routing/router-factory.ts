/**
 * The routing policies by name, as `llc-bridge --router` and the bench select them:
 *
 * | kind             | picks                                                                      |
 * |------------------|----------------------------------------------------------------------------|
 * | `random`         | uniformly among replicas that can take the request                         |
 * | `round-robin`    | the next replica in turn                                                   |
 * | `load`           | power of two choices on load (LoadAwareRouter's own; the default)          |
 * | `prefix-approx`  | longest prefix by our own record of dispatches (TTL), sticky until saturated |
 * | `prefix-precise` | longest prefix by vLLM's KV events, sticky until saturated                  |
 *
 * Every kind keeps LoadAwareRouter's breakers, admission control, fallback and in-flight counting.
 */
import { CharUnits, PromptBlocks, type PromptTokenizer } from './prompt-blocks.js';
import { DEFAULT_PREFIX_POLICY, PrefixPolicy } from './prefix-policy.js';
import { KvEventSubscriber, type KvEventSource } from './kv-event-subscriber.js';
import { RandomPolicy, RoundRobinPolicy, type RoutingPolicy } from './routing-policy.js';

export const ROUTER_KINDS = ['random', 'round-robin', 'load', 'prefix-approx', 'prefix-precise'] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export interface RoutingPolicyOptions {
  kind: RouterKind;
  replicas: number;
  /** `prefix-precise`: the engine's tokenizer and chat template (its `blockSize` = the engine's `--block-size`). */
  tokenizer?: PromptTokenizer;
  /** `prefix-approx`: characters per block (64 ≈ vLLM's 16 tokens). */
  charBlockSize: number;
  /** Seed of the block hash chain; `prefix-precise` must use the engine's. */
  hashSeed: number | string;
  /** `prefix-approx`: how long a dispatch is remembered, ms. */
  ttlMs: number;
  /** Sticky until saturated: see prefix-policy.ts. */
  balanceAbs: number;
  balanceRel: number;
  waitingWeight: number;
  conversationAffinity: boolean;
  /**
   * `prefix-approx`: each replica's KV cache in tokens (vLLM: num_gpu_blocks × block_size); the approximate index
   * forgets a replica's least recently routed blocks beyond it (at ~4 characters a token). Default unbounded.
   */
  capacityTokens: number;
  /** Prefix kinds: how long a request may wait in the bridge's queue for the full replica holding its prefix. */
  affinityWaitMs: number;
  random?: () => number;
}

export const DEFAULT_ROUTING_POLICY: Omit<RoutingPolicyOptions, 'replicas' | 'tokenizer' | 'random'> = {
  kind: 'load',
  charBlockSize: 64,
  hashSeed: 0,
  ttlMs: DEFAULT_PREFIX_POLICY.ttlMs,
  balanceAbs: DEFAULT_PREFIX_POLICY.balanceAbs,
  balanceRel: DEFAULT_PREFIX_POLICY.balanceRel,
  waitingWeight: DEFAULT_PREFIX_POLICY.waitingWeight,
  conversationAffinity: DEFAULT_PREFIX_POLICY.conversationAffinity,
  capacityTokens: Infinity,
  affinityWaitMs: DEFAULT_PREFIX_POLICY.affinityWaitMs,
};

/** Characters per token assumed when the approximate index converts a KV capacity in tokens to its blocks. */
const CHARS_PER_TOKEN = 4;

export function isRouterKind(value: string): value is RouterKind {
  return (ROUTER_KINDS as readonly string[]).includes(value);
}

/** Defaults filled in and checked. */
export function resolveRoutingPolicyOptions(
  partial: Partial<RoutingPolicyOptions> & Pick<RoutingPolicyOptions, 'replicas'>,
): RoutingPolicyOptions {
  const o: RoutingPolicyOptions = { ...DEFAULT_ROUTING_POLICY, ...partial };
  if (!isRouterKind(o.kind))
    throw new RangeError(`router must be one of ${ROUTER_KINDS.join(', ')}, got "${String(o.kind)}"`);
  if (!(Number.isInteger(o.replicas) && o.replicas >= 1))
    throw new RangeError(`replicas must be ≥ 1, got ${o.replicas}`);
  if (o.kind === 'prefix-precise' && !o.tokenizer)
    throw new RangeError("prefix-precise routing needs the engine's tokenizer (to compute its block hashes)");
  for (const key of ['charBlockSize', 'ttlMs'] as const)
    if (!(o[key] > 0)) throw new RangeError(`${key} must be > 0, got ${o[key]}`);
  if (!(o.capacityTokens > 0)) throw new RangeError(`capacityTokens must be > 0, got ${o.capacityTokens}`);
  for (const key of ['balanceAbs', 'balanceRel', 'waitingWeight', 'affinityWaitMs'] as const)
    if (!(o[key] >= 0)) throw new RangeError(`${key} must be ≥ 0, got ${o[key]}`);
  return o;
}

/** The policy for a kind; undefined for `load` (LoadAwareRouter's built-in choice). */
export function createRoutingPolicy(
  partial: Partial<RoutingPolicyOptions> & Pick<RoutingPolicyOptions, 'replicas'>,
): RoutingPolicy | undefined {
  const o = resolveRoutingPolicyOptions(partial);
  switch (o.kind) {
    case 'load':
      return undefined;
    case 'random':
      return new RandomPolicy(o.random);
    case 'round-robin':
      return new RoundRobinPolicy();
    case 'prefix-approx':
    case 'prefix-precise': {
      const approx = o.kind === 'prefix-approx';
      const tokenizer = approx ? new CharUnits(o.charBlockSize) : o.tokenizer!;
      return new PrefixPolicy({
        mode: approx ? 'approx' : 'precise',
        replicas: o.replicas,
        blocks: new PromptBlocks({ tokenizer, seed: o.hashSeed }),
        ttlMs: o.ttlMs,
        balanceAbs: o.balanceAbs,
        balanceRel: o.balanceRel,
        waitingWeight: o.waitingWeight,
        conversationAffinity: o.conversationAffinity,
        affinityWaitMs: o.affinityWaitMs,
        ...(approx && Number.isFinite(o.capacityTokens)
          ? { capacityBlocks: Math.max(1, Math.floor((o.capacityTokens * CHARS_PER_TOKEN) / o.charBlockSize)) }
          : {}),
        ...(o.random ? { random: o.random } : {}),
      });
    }
  }
}

/** Feeds a precise policy from every replica's KV events (index = replica position). Close it with the router. */
export function subscribeKvEvents(
  policy: PrefixPolicy,
  sources: readonly (KvEventSource | undefined)[],
): KvEventSubscriber {
  return new KvEventSubscriber(sources, { onEvents: (replica, events) => policy.applyEvents(replica, events) }).start();
}

/**
 * Decodes vLLM's KV cache event batches (the msgpack payload of its ZMQ messages; see
 * packages/vllm-sim/KV-EVENTS.md). Every shape vLLM has shipped is accepted, because a router fronting a mixed
 * fleet during an upgrade sees them all:
 *
 * - the batch: `[ts, events]`, `[ts, events, data_parallel_rank]` (msgspec `array_like`), or a map
 *   `{ts, events, data_parallel_rank}`;
 * - an event: a tag-first array (`["BlockStored", block_hashes, parent_block_hash, token_ids, block_size,
 *   lora_id, medium, lora_name, …]`, vLLM before PR #42892) or a map tagged by `type` (after it); unknown
 *   fields are ignored;
 * - a block hash: an unsigned 64-bit integer (`VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES`, the default) or the raw
 *   digest bytes — both reduced to the 52-bit keys of block-hash.ts.
 *
 * A malformed batch throws {@link KvEventDecodeError}; an unknown event type is skipped (counted by callers).
 */
import { Unpackr } from 'msgpackr';
import { blockHashKey } from './block-hash.js';

export type KvEvent =
  | {
      type: 'BlockStored';
      blockHashes: number[];
      parentBlockHash: number | null;
      /** Storage tier (`GPU`, `CPU`, …); null when the engine did not say. */
      medium: string | null;
    }
  | { type: 'BlockRemoved'; blockHashes: number[]; medium: string | null }
  | { type: 'AllBlocksCleared' };

export interface KvEventBatch {
  /** Engine wall time, seconds. */
  ts: number;
  events: KvEvent[];
  dataParallelRank: number | null;
  /** Events of a type this decoder does not know (skipped). */
  unknown: number;
}

export class KvEventDecodeError extends Error {
  override readonly name = 'KvEventDecodeError';
}

// int64AsType 'auto' (supported at run time, missing from msgpackr's types): integers beyond 2^53 come back as
// bigint, smaller ones as exact numbers.
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'auto',
} as unknown as ConstructorParameters<typeof Unpackr>[0]);

type Raw = unknown;

function isMap(v: Raw): v is Record<string, Raw> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function hashes(raw: Raw, what: string): number[] {
  if (!Array.isArray(raw)) throw new KvEventDecodeError(`${what}: block_hashes must be an array`);
  return raw.map((h: Raw) => {
    const key = typeof h === 'number' || typeof h === 'bigint' || h instanceof Uint8Array ? blockHashKey(h) : undefined;
    if (key === undefined) throw new KvEventDecodeError(`${what}: a block hash is not an unsigned integer or bytes`);
    return key;
  });
}

function optionalHash(raw: Raw, what: string): number | null {
  if (raw === null || raw === undefined) return null;
  return hashes([raw], what)[0]!;
}

function medium(raw: Raw): string | null {
  return typeof raw === 'string' ? raw : null;
}

function decodeEvent(raw: Raw): KvEvent | undefined {
  if (Array.isArray(raw)) {
    const [tag, ...f] = raw as Raw[];
    if (tag === 'BlockStored')
      return {
        type: 'BlockStored',
        blockHashes: hashes(f[0], 'BlockStored'),
        parentBlockHash: optionalHash(f[1], 'BlockStored'),
        medium: medium(f[5]),
      };
    if (tag === 'BlockRemoved')
      return { type: 'BlockRemoved', blockHashes: hashes(f[0], 'BlockRemoved'), medium: medium(f[1]) };
    if (tag === 'AllBlocksCleared') return { type: 'AllBlocksCleared' };
    if (typeof tag !== 'string') throw new KvEventDecodeError('an event array must start with its type tag');
    return undefined;
  }
  if (isMap(raw)) {
    const tag = raw.type;
    if (tag === 'BlockStored')
      return {
        type: 'BlockStored',
        blockHashes: hashes(raw.block_hashes, 'BlockStored'),
        parentBlockHash: optionalHash(raw.parent_block_hash, 'BlockStored'),
        medium: medium(raw.medium),
      };
    if (tag === 'BlockRemoved')
      return {
        type: 'BlockRemoved',
        blockHashes: hashes(raw.block_hashes, 'BlockRemoved'),
        medium: medium(raw.medium),
      };
    if (tag === 'AllBlocksCleared') return { type: 'AllBlocksCleared' };
    if (typeof tag !== 'string') throw new KvEventDecodeError('an event map must have a string "type"');
    return undefined;
  }
  throw new KvEventDecodeError('an event must be an array or a map');
}

export function decodeKvEventBatch(payload: Uint8Array): KvEventBatch {
  let raw: Raw;
  try {
    raw = unpackr.unpack(payload);
  } catch (error) {
    throw new KvEventDecodeError(`not msgpack: ${error instanceof Error ? error.message : String(error)}`);
  }
  let ts: Raw;
  let events: Raw;
  let rank: Raw;
  if (Array.isArray(raw)) [ts, events, rank] = raw as Raw[];
  else if (isMap(raw)) ({ ts, events, data_parallel_rank: rank } = raw);
  else throw new KvEventDecodeError('a batch must be an array or a map');
  if (typeof ts !== 'number') throw new KvEventDecodeError('a batch must start with its timestamp');
  if (!Array.isArray(events)) throw new KvEventDecodeError('a batch must carry an events array');
  const out: KvEvent[] = [];
  let unknown = 0;
  for (const e of events as Raw[]) {
    const event = decodeEvent(e);
    if (event) out.push(event);
    else unknown++;
  }
  return { ts, events: out, dataParallelRank: typeof rank === 'number' ? rank : null, unknown };
}

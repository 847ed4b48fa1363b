/**
 * The seq rule, in one place. Token batches of a stream carry seq 1, 2, 3 … with no gaps; a frame may cover
 * several consecutive batches (`firstSeq..seq`, after coalescing). Whoever holds a stream up to `lastSeq` —
 * the relay's resume ring, a socket's send position, the client — classifies each incoming batch with
 * {@link classifyBatch} and reacts in its own way: the relay records a gap and lets the client resume, the
 * client asks for a resume from `lastSeq + 1`.
 */
import type { TokenFrame } from './frames.js';
import { MAX_TOOL_PARTS } from './schema.js';

/** What a token batch is to a holder at `lastSeq`. */
export type BatchPlace =
  /** Already held (`seq ≤ lastSeq`): drop it. */
  | 'old'
  /** Starts right after what is held: append it. */
  | 'next'
  /** Starts past `lastSeq + 1` (batches are missing), or overlaps what is held only in part. */
  | 'gap';

/** The first batch a frame covers: `firstSeq` when it was coalesced, else `seq`. */
export function firstSeqOf(frame: Pick<TokenFrame, 'seq' | 'firstSeq'>): number {
  return frame.firstSeq ?? frame.seq;
}

/** Classifies a batch against the last seq held (0 = none yet). */
export function classifyBatch(lastSeq: number, frame: Pick<TokenFrame, 'seq' | 'firstSeq'>): BatchPlace {
  if (frame.seq <= lastSeq) return 'old';
  return firstSeqOf(frame) === lastSeq + 1 ? 'next' : 'gap';
}

/** True when `next` can be merged into `prev` (same stream, `next` starts right after `prev`). */
export function followsBatch(prev: Pick<TokenFrame, 'seq'>, next: Pick<TokenFrame, 'seq' | 'firstSeq'>): boolean {
  return firstSeqOf(next) === prev.seq + 1;
}

/**
 * One frame covering `prev` then `next` (which must follow it: {@link followsBatch}) — how a relay coalesces the
 * batches of a slow socket and compacts a resume — or undefined when one frame cannot hold both (more than
 * MAX_TOOL_PARTS tool-call parts). Fields appended to token frames later must be merged here.
 */
export function mergeBatches(prev: TokenFrame, next: TokenFrame): TokenFrame | undefined {
  const tools = prev.tools || next.tools ? [...(prev.tools ?? []), ...(next.tools ?? [])] : undefined;
  if (tools && tools.length > MAX_TOOL_PARTS) return undefined;
  const merged: TokenFrame = {
    type: 'token',
    streamId: prev.streamId,
    seq: next.seq,
    text: prev.text + next.text,
    firstSeq: firstSeqOf(prev),
  };
  const reasoning = (prev.reasoning ?? '') + (next.reasoning ?? '');
  if (reasoning) merged.reasoning = reasoning;
  if (tools) merged.tools = tools;
  return merged;
}

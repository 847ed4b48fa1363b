/**
 * Compacted resumes: a client that resumes a stream from far behind gets the batches it missed as one token
 * frame covering `firstSeq..seq` (the text so far), not one frame per batch — the same coalesced frame the send
 * queue makes for a slow socket, so clients need nothing new. The live tail follows as usual, through the
 * socket's seq rule, so delivery stays exactly-once and in order. Bytes sent for the missed part are the text
 * plus one frame header (bench/README.md reports the ratio); a very long answer is cut into frames of at most
 * `maxChars` characters.
 */
import { HARD_LIMITS, followsBatch, mergeBatches, type TokenFrame } from '@locallightchat/protocol';
import type { StreamEvent } from './stream-record.js';

/** `events` with each run of consecutive token batches merged into as few frames as `maxChars` allows. */
export function compactBatches(
  events: readonly StreamEvent[],
  maxChars: number = HARD_LIMITS.batchChars,
): StreamEvent[] {
  const out: StreamEvent[] = [];
  let open: TokenFrame | undefined;
  let chars = 0;
  for (const event of events) {
    if (event.type !== 'token') {
      if (open) out.push(open);
      open = undefined;
      out.push(event);
      continue;
    }
    const size = event.text.length + (event.reasoning?.length ?? 0);
    const merged =
      open && followsBatch(open, event) && chars + size <= maxChars ? mergeBatches(open, event) : undefined;
    if (merged) {
      open = merged;
      chars += size;
      continue;
    }
    if (open) out.push(open);
    open = event;
    chars = size;
  }
  if (open) out.push(open);
  return out;
}

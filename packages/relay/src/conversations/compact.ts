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

/**
 * The next frame of a compacted replay of `events` from index `from`: a run of consecutive token batches merged
 * into one frame of at most `maxChars` characters (a batch longer than that goes alone), or the one other event
 * found there. Returns the frame and the index after what it covers. Taken one frame at a time, a replay
 * compacts only as far as the socket takes it (connection/paced-replay.ts).
 */
export function nextCompacted(
  events: readonly StreamEvent[],
  from: number,
  maxChars: number = HARD_LIMITS.batchChars,
): { event: StreamEvent; next: number } {
  const first = events[from]!;
  if (first.type !== 'token') return { event: first, next: from + 1 };
  let open: TokenFrame = first;
  let chars = first.text.length + (first.reasoning?.length ?? 0);
  let next = from + 1;
  for (; next < events.length; next++) {
    const event = events[next]!;
    if (event.type !== 'token') break;
    const size = event.text.length + (event.reasoning?.length ?? 0);
    const merged = chars + size <= maxChars && followsBatch(open, event) ? mergeBatches(open, event) : undefined;
    if (!merged) break;
    open = merged;
    chars += size;
  }
  return { event: open, next };
}

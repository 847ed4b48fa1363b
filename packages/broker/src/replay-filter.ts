import type { ReplayQuery } from './broker.js';
import type { ConversationEvent } from './messages.js';

/** The replay rule shared by every adapter: which retained events answer a query. */
export function matchesReplay(event: ConversationEvent, query: ReplayQuery): boolean {
  if (query.streamId === undefined) return true;
  if (event.type === 'message' || event.streamId !== query.streamId) return false;
  const fromSeq = query.fromSeq ?? 0;
  switch (event.type) {
    case 'token':
      return event.seq >= fromSeq;
    case 'stream-start':
      return fromSeq <= 1;
    case 'queued':
      return fromSeq <= 1;
    case 'stream-end':
      return true;
  }
}

/**
 * Retained events with each stream's token batches in seq order and its end after them, everything else where
 * it was. Batches are stored in publish order except when a publish was retried (a JetStream leader election):
 * a batch sent after the one that timed out may be stored first. Sorted in place; returns `events`.
 */
export function inSeqOrder(events: ConversationEvent[]): ConversationEvent[] {
  const places = new Map<string, number[]>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== 'token' && e.type !== 'stream-end') continue;
    const list = places.get(e.streamId);
    if (list) list.push(i);
    else places.set(e.streamId, [i]);
  }
  const rank = (e: ConversationEvent) => (e.type === 'token' ? e.seq : Number.MAX_SAFE_INTEGER);
  for (const list of places.values()) {
    const sorted = list.map((i) => events[i]!).sort((a, b) => rank(a) - rank(b));
    list.forEach((at, k) => (events[at] = sorted[k]!));
  }
  return events;
}

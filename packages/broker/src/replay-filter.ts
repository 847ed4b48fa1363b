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

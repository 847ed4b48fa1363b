/**
 * The order of a user's conversation list (newest activity first; equal times by id, descending) and its
 * opaque cursor `updatedAt:conversationId`, shared by every Store adapter so they page alike.
 */
import type { ConversationSummary } from '@locallightchat/protocol';
import { titleMatcher } from './conversation-search.js';
import type { ConversationPage, ListConversationsOptions } from './store.js';

/** Sorts newest first (ties by id, descending): the list's one order. */
export function newestFirst(a: ConversationSummary, b: ConversationSummary): number {
  return (
    b.updatedAt - a.updatedAt ||
    (a.conversationId < b.conversationId ? 1 : a.conversationId > b.conversationId ? -1 : 0)
  );
}

function cursorOf(s: ConversationSummary): string {
  return `${s.updatedAt}:${s.conversationId}`;
}

/** Whether `s` comes after the cursor in list order (an unreadable cursor starts from the top). */
function isAfter(s: ConversationSummary, cursor: string): boolean {
  const at = cursor.indexOf(':');
  const updatedAt = Number(cursor.slice(0, at));
  if (at <= 0 || !Number.isFinite(updatedAt)) return true;
  return newestFirst(s, { conversationId: cursor.slice(at + 1), updatedAt, createdAt: 0 }) > 0;
}

/**
 * One page from summaries in any order, of those matching `options.query`. The search filters before the cursor
 * is applied, so a page's cursor points into the matching conversations and the next page goes on from there.
 */
export function pageOf(all: ConversationSummary[], options: ListConversationsOptions): ConversationPage {
  const matches = titleMatcher(options.query);
  const sorted = (matches ? all.filter(matches) : all).sort(newestFirst);
  const rest = options.before === undefined ? sorted : sorted.filter((s) => isAfter(s, options.before!));
  const conversations = rest.slice(0, options.limit);
  return rest.length > options.limit && conversations.length > 0
    ? { conversations, cursor: cursorOf(conversations.at(-1)!) }
    : { conversations };
}

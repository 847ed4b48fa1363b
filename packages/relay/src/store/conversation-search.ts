/**
 * The conversation list's title search, shared by every Store adapter so they match alike: a title matches when
 * it contains the query, ignoring case and surrounding spaces of the query. Untitled conversations never match
 * a query (the list shows them as "Untitled", which is not their title).
 *
 * Adapters filter in the relay's process: the list is read whole for each page anyway (see the adapters'
 * listConversations), and a per-user list is bounded by the conversation quota.
 */
import type { ConversationSummary } from '@locallightchat/protocol';

/** A predicate for `query`, or undefined when it filters nothing (absent or only spaces). */
export function titleMatcher(query: string | undefined): ((s: ConversationSummary) => boolean) | undefined {
  const needle = query?.trim().toLowerCase();
  if (!needle) return undefined;
  return (s) => s.title !== undefined && s.title.toLowerCase().includes(needle);
}

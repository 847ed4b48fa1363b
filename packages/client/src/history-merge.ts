/**
 * Merging a history page from the relay into the messages a conversation holds (live, sent, or cached on the
 * device), so each message is shown once, in the server's order.
 */
import { isRetryable, type ChatMessage } from '@locallightchat/protocol/core';
import type { ClientMessage } from './types.js';

/** The part of a conversation a merge reads and rewrites. */
export interface MergeTarget {
  messages: ClientMessage[];
  byKey: Map<string, ClientMessage>;
  /** Holds unconfirmed messages from the device cache. */
  seeded: boolean;
  historyLoaded: boolean;
}

/** The key a stored message has on the client: its client message id, stream id, or server id. */
export function keyOf(m: ChatMessage): string {
  return m.clientMessageId ?? m.streamId ?? m.id;
}

/**
 * Merges `messages` (one page, oldest first) into `conv`. `mayComplete(key)` says whether a stored answer may
 * replace a local one that is still unfinished (not while a resume is bringing its missing batches). Returns
 * the keys of local answers completed from the store.
 */
export function mergeHistoryPage(
  conv: MergeTarget,
  messages: readonly ChatMessage[],
  mayComplete: (key: string) => boolean,
): string[] {
  const completed: string[] = [];
  if (conv.seeded && !conv.historyLoaded) {
    // The first page from the relay is the truth: cached messages it does not hold are gone (edited away on
    // another device, say); the cached ones it holds are refreshed below.
    const keys = new Set(messages.map(keyOf));
    conv.messages = conv.messages.filter((m) => !m.cached || keys.has(m.key));
    conv.byKey = new Map(conv.messages.map((m) => [m.key, m]));
    conv.seeded = false;
  }
  const page: ClientMessage[] = [];
  const pageKeys = new Set<string>();
  for (const m of messages) {
    const key = keyOf(m);
    pageKeys.add(key);
    const known = conv.byKey.get(key);
    if (!known) {
      const stored = fromStored(m);
      page.push(stored);
      conv.byKey.set(stored.key, stored);
      continue;
    }
    page.push(known);
    if (known.cached) {
      Object.assign(known, fromStored(m));
      known.cached = undefined;
      continue;
    }
    // Its place in the tree may have grown (a new version of it was made).
    placeFrom(known, m);
    // A stored answer completes a local one that missed its end (e.g. it ended while we were away).
    if (m.role === 'assistant' && known.status !== 'done' && m.text.length >= known.text.length && mayComplete(key)) {
      Object.assign(known, fromStored(m));
      completed.push(key);
    }
    known.id ??= m.id;
  }
  // A page older than everything held goes first. A page that overlaps what we hold (the newest page, when
  // messages sent before it arrived are in it) is the server's order: held messages keep their place
  // before or after the overlap.
  const firstOverlap = conv.messages.findIndex((m) => pageKeys.has(m.key));
  const cut = firstOverlap === -1 ? 0 : firstOverlap;
  const rest = (list: ClientMessage[]) => list.filter((m) => !pageKeys.has(m.key));
  conv.messages = [...rest(conv.messages.slice(0, cut)), ...page, ...rest(conv.messages.slice(cut))];
  conv.historyLoaded = true;
  return completed;
}

/** A stored message as the client shows it. */
export function fromStored(m: ChatMessage): ClientMessage {
  const message: ClientMessage = {
    key: keyOf(m),
    id: m.id,
    role: m.role,
    text: m.text,
    reasoning: m.reasoning ?? '',
    createdAt: m.createdAt,
    status: m.finishReason === 'cancelled' ? 'stopped' : m.finishReason === 'error' ? 'error' : 'done',
    lastSeq: 0,
  };
  if (m.clientMessageId) message.clientMessageId = m.clientMessageId;
  if (m.streamId) message.streamId = m.streamId;
  if (m.finishReason) message.finishReason = m.finishReason;
  if (m.errorCode !== undefined) {
    message.error = {
      code: m.errorCode,
      message: m.errorMessage ?? m.errorCode,
      retryable: isRetryable(m.errorCode),
    };
  }
  if (m.reasoningMs !== undefined) message.reasoningMs = m.reasoningMs;
  placeFrom(message, m);
  if (m.toolResults) message.toolResults = m.toolResults;
  if (m.attachments) message.attachments = m.attachments;
  if (m.toolCalls) message.toolCalls = m.toolCalls.map((c, index) => ({ ...c, index, complete: true }));
  return message;
}

/** Copies a stored message's place in the conversation's tree (parent, versions) onto the client's copy. */
export function placeFrom(message: ClientMessage, m: ChatMessage): void {
  if (m.parentId !== undefined) message.parentId = m.parentId;
  else delete message.parentId;
  if (m.siblings !== undefined && m.siblings.length > 1) message.siblings = [...m.siblings];
  else delete message.siblings;
}

/**
 * The Redis key names of {@link RedisStore}, and the rows its tree scripts return. Keys of one conversation
 * share a hash tag — `llc:{c:<id>}:…` — so they live in one slot of a Redis Cluster:
 *
 *   …:owner      string  the user who claimed the conversation (its TTL is refreshed with every write, so it
 *                        never expires before the messages: an id cannot be claimed while anything of it is kept)
 *   …:order      zset    message id → insertion counter (history order)
 *   …:data       hash    message id → JSON message
 *   …:submitted  set     user message ids handed to the broker
 *   …:seq        string  insertion counter
 *   …:feedback   hash    stream id → JSON FeedbackRecord (written only while the owner matches)
 *   …:meta       hash    title, createdAt, updatedAt (the conversation list)
 *   …:parent     hash    message id → parent id ('' for a first message)   } the message tree: edits and
 *   …:kids       hash    parent id → child ids, space-separated, oldest first } regenerates add branches
 *   …:shown      hash    parent id → the child shown (the active path)      } (see message-tree.ts)
 *
 * Per user (hash tag `{u:<id>}`): `…:recent` (zset of owned conversation ids → last activity, the user's
 * conversation list), `…:convs` (zset of owned conversation ids → expiry, for the conversation
 * quota), `…:usage` (hash of stored bytes and messages, for the byte and message quotas), `…:tokens` (the
 * token bucket) and `…:uploads` (bytes held in uploads, ./upload-quota-redis.ts). Sessions: `…:session:<id>`;
 * shared rate limits: `…:{r:<key>}:rate`.
 */
import type { ChatMessage } from '@locallightchat/protocol';

/** A conversation's keys, owner record, order and data first (DELETE_CONVERSATION reads those three). */
export const DELETED_PARTS = [
  'owner',
  'order',
  'data',
  'submitted',
  'seq',
  'feedback',
  'meta',
  'parent',
  'kids',
  'shown',
] as const;

/** Key names under one prefix (a deployment's namespace in a shared Redis). */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** One part of a conversation's keys. */
  conversation(conversationId: string, part: string): string {
    return `${this.prefix}:{c:${conversationId}}:${part}`;
  }

  /** The keys the append, list and tree scripts take. */
  conversationKeys(conversationId: string) {
    return {
      order: this.conversation(conversationId, 'order'),
      data: this.conversation(conversationId, 'data'),
      submitted: this.conversation(conversationId, 'submitted'),
      seq: this.conversation(conversationId, 'seq'),
      owner: this.conversation(conversationId, 'owner'),
      parent: this.conversation(conversationId, 'parent'),
      kids: this.conversation(conversationId, 'kids'),
      shown: this.conversation(conversationId, 'shown'),
    };
  }

  /** Every key of a conversation, in {@link DELETED_PARTS} order (DELETE_CONVERSATION's keys). */
  deletedParts(conversationId: string): string[] {
    return DELETED_PARTS.map((part) => this.conversation(conversationId, part));
  }

  /** One part of a user's keys. */
  user(userId: string, part: string): string {
    return `${this.prefix}:{u:${userId}}:${part}`;
  }

  session(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}`;
  }

  /** A rate limit shared by every relay (per user or per IP: the caller's key). */
  rate(key: string): string {
    return `${this.prefix}:{r:${key}}:rate`;
  }
}

/** Messages from the tree scripts' rows (JSON, parent id or '', siblings space-separated or ''; see LIST). */
export function treeRows(rows: readonly string[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let i = 0; i + 2 < rows.length; i += 3) {
    if (!rows[i]) continue;
    const message = JSON.parse(rows[i]!) as ChatMessage;
    if (rows[i + 1]) message.parentId = rows[i + 1]!;
    if (rows[i + 2]) message.siblings = rows[i + 2]!.split(' ');
    messages.push(message);
  }
  return messages;
}

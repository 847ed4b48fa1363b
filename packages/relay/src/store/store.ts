/**
 * The Store port: what a relay keeps beyond a connection's lifetime. The in-memory adapter serves the embedded
 * default; the Redis adapter lets history, ownership and dedup survive relay restarts and span nodes. Both pass
 * the conformance suite in ./conformance.ts.
 *
 * Every write is idempotent on a key the caller derives deterministically (message ids are derived from the
 * client message id), so a retry after a crash or a network error never duplicates anything.
 */
import type { ChatMessage, ConversationSummary, FeedbackRating } from '@locallightchat/protocol';
import type { Reservation, TokenBucketPolicy } from '../limits/token-bucket.js';
import type { UploadQuotaPort } from './upload-quota.js';

/** A store's connection state (`/readyz` reports the relay ready only while it is `connected`). */
export type StoreStatus = 'connected' | 'reconnecting' | 'closed';

/** What {@link Store.appendMessage} did. */
export interface AppendResult {
  /** False when a message with this id was already stored (the write was a retry). */
  inserted: boolean;
  /** Whether the generation request for this message was already handed to the broker. */
  submitted: boolean;
}

/**
 * Where {@link Store.appendMessage} puts a message in the conversation's tree: after `parentId` (null: a first
 * message, a root), or, when `parentId` is undefined, after the last message of the active path. The new message
 * becomes its parent's shown child (a new branch is shown from now on).
 */
export interface AppendOptions {
  parentId?: string | null;
  /**
   * Also show its branch: each ancestor becomes its parent's shown child, so the active path ends with it (a
   * user's message, written on that branch). Answers leave the path alone: the user may have switched away.
   */
  showBranch?: boolean;
}

/** One page of history, from {@link Store.listMessages}. */
export interface MessagePage {
  /** The active path, oldest first; each message with its `parentId`, and `siblings` when it has any. */
  messages: ChatMessage[];
  /** Id of the oldest returned message when older ones exist: pass it as `before` for the previous page. */
  cursor?: string;
}

/** What a connection held, kept for a while after it closes so a reconnect (to any node) can restore it. */
export interface SessionRecord {
  sessionId: string;
  userId: string;
  conversations: string[];
}

/** A reader's rating of one answer, as {@link Store.saveFeedback} keeps it (one per answer: the last wins). */
export interface FeedbackRecord {
  conversationId: string;
  /** The stream that produced the answer. */
  streamId: string;
  /** The stored answer's message id. */
  messageId: string;
  /** Who rated it (always the conversation's owner: the Store refuses anyone else). */
  userId: string;
  rating: FeedbackRating;
  comment?: string;
  /** When it was given, ms since the epoch. */
  createdAt: number;
}

/** One page of a user's conversations, from {@link Store.listConversations}. */
export interface ConversationPage {
  /** Newest activity first. */
  conversations: ConversationSummary[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  cursor?: string;
}

/** What {@link Store.listConversations} pages through. */
export interface ListConversationsOptions {
  /** The `cursor` of the previous page (of the same `query`). */
  before?: string;
  limit: number;
  /** Only conversations whose title contains this, ignoring case (see ./conversation-search.ts). */
  query?: string;
}

/**
 * The Store port (see the module comment); implement it for another database and run ./conformance.ts. Its
 * upload byte quota is declared in ./upload-quota.ts.
 */
export interface Store extends UploadQuotaPort {
  readonly status: StoreStatus;

  /**
   * Records `userId` as the owner of a new conversation, or returns the existing owner. A user may only touch
   * conversations they own. An ownership record is never dropped before its conversation's messages (neither
   * by a bound nor by expiry), so no one else can claim an id while anything of it is kept. Throws
   * {@link QuotaExceededError} when `userId` already owns its quota of conversations (or the store is full):
   * new claims are refused rather than anyone's conversation evicted.
   */
  claimConversation(conversationId: string, userId: string): Promise<string>;
  /** The owner of a conversation, or undefined when no one claimed it (a read that must not claim). */
  ownerOf(conversationId: string): Promise<string | undefined>;

  /**
   * Appends a message unless one with the same id exists. Every stored message counts against its
   * conversation owner's byte and message quotas ({@link storedBytes}); a `user` or `tool` message that would
   * pass them throws {@link QuotaExceededError} and is not stored (an answer is always stored: it was paid for).
   */
  appendMessage(conversationId: string, message: ChatMessage, options?: AppendOptions): Promise<AppendResult>;
  /** Marks a stored user message as handed to the broker (see {@link AppendResult.submitted}). */
  markSubmitted(conversationId: string, messageId: string): Promise<void>;
  /**
   * The newest `limit` messages of the active path (the branch shown: from the first message, each parent's
   * shown child) older than `before` (or the newest overall). Each carries its `parentId`, and its `siblings`
   * when it has any (see ChatMessage).
   */
  listMessages(conversationId: string, options: { before?: string; limit: number }): Promise<MessagePage>;
  /**
   * `messageId` and its ancestors, at most `limit` of them (the nearest), oldest first, annotated like
   * {@link listMessages}: what a model reads as the context of a message, whichever branch is shown. Empty when
   * the message is unknown.
   */
  messagesTo(conversationId: string, messageId: string, limit: number): Promise<ChatMessage[]>;
  /**
   * Shows the branch of `messageId`: it becomes its parent's shown child (the choice is kept with the
   * conversation). False when the message is unknown. Nothing is ever deleted by a branch: history is a tree.
   */
  selectBranch(conversationId: string, messageId: string): Promise<boolean>;

  /**
   * The conversations `userId` owns, newest activity (last message or rename) first, `limit` at a time after
   * the opaque `before` cursor, only those whose title matches `query` when one is given. Only the user's own
   * conversations are ever listed.
   */
  listConversations(userId: string, options: ListConversationsOptions): Promise<ConversationPage>;
  /**
   * Sets a conversation's title; with `ifUnset` only when it has none yet (an automatic title never replaces
   * a rename). Returns false, changing nothing, unless `userId` owns the conversation (or when `ifUnset` found a
   * title).
   */
  setConversationTitle(
    conversationId: string,
    userId: string,
    title: string,
    options?: { ifUnset?: boolean },
  ): Promise<boolean>;
  /**
   * Deletes a conversation of `userId`'s for good: its messages, ratings, title and ownership (its id may be
   * claimed again), and the quota it used is given back. Returns false, deleting nothing, unless `userId` owns it.
   */
  deleteConversation(conversationId: string, userId: string): Promise<boolean>;

  /**
   * Stores a rating of an answer, replacing an earlier one of the same answer. Only the conversation's owner may
   * rate: returns false (and stores nothing) when `record.userId` is not the owner or the conversation is unknown.
   */
  saveFeedback(record: FeedbackRecord): Promise<boolean>;
  /** The ratings of a conversation's answers, oldest first; empty unless `userId` owns the conversation. */
  listFeedback(conversationId: string, userId: string): Promise<FeedbackRecord[]>;

  /**
   * Takes `amount` model tokens from the user's budget if they fit (atomically, across every relay node that
   * shares the store); see limits/token-bucket.ts for the rules.
   */
  reserveTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation>;
  /** Gives back the unused part of a reservation once the real usage is known. */
  refundTokens(userId: string, amount: number, policy: TokenBucketPolicy): Promise<void>;

  /**
   * Takes `amount` from a shared rate bucket named `key` (frames, connections, conversation opens of a user or
   * an address), atomically across every relay node that shares the store; same rules as token budgets.
   */
  consumeRate(key: string, amount: number, policy: TokenBucketPolicy): Promise<Reservation>;

  /** Saves (or replaces) a session; it expires `ttlSec` after the last save. */
  saveSession(record: SessionRecord, ttlSec: number): Promise<void>;
  /** A saved session, or undefined when unknown or expired. */
  loadSession(sessionId: string): Promise<SessionRecord | undefined>;

  close(): Promise<void>;
}

/** Which quota a {@link QuotaExceededError} is about. */
export type QuotaKind = 'conversations' | 'bytes' | 'messages' | 'store-full';

/** Raised by adapters when a write would pass a user's quota; nothing was written. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(
    readonly quota: QuotaKind,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes a message counts against its owner's quota: its JSON in UTF-8 (every adapter counts alike). */
export function storedBytes(message: ChatMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

/** Raised by adapters when the store cannot be reached. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

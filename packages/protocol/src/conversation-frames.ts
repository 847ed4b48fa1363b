/**
 * Frames of the conversations a user lives in (kinds 60–79): feedback on answers, and the user's list of
 * conversations with rename and delete. Client frames are 60–69, server frames 70–79.
 *
 * Every one is about conversations the user owns: the relay checks ownership before it reads or writes, and a
 * list only ever holds the asking user's conversations.
 */

import type { BranchSelectedFrame, SelectBranchFrame } from './branch-frames.js';

/** A reader's rating of an answer. */
export type FeedbackRating = 'up' | 'down';
export const FEEDBACK_RATINGS: readonly FeedbackRating[] = ['up', 'down'];

/** Longest feedback comment, characters. */
export const MAX_FEEDBACK_COMMENT_CHARS = 2000;
/** Longest conversation title, characters. */
export const MAX_TITLE_CHARS = 200;
/** Most conversations in one `conversation-list` page. */
export const MAX_CONVERSATION_PAGE = 100;
/** Longest title search (`list-conversations`' `query`), characters: no title is longer. */
export const MAX_CONVERSATION_QUERY_CHARS = MAX_TITLE_CHARS;

// ───────────────────────────── client → server ─────────────────────────────

/**
 * Thumbs up or down on an answer (the stream that produced it), with an optional comment. Sending it again
 * replaces the earlier rating of that answer. Answered with `feedback-saved` (or an `error` whose `ref` is the
 * stream id).
 */
export interface FeedbackFrame {
  type: 'feedback';
  conversationId: string;
  streamId: string;
  rating: FeedbackRating;
  comment?: string;
}

/**
 * Asks for a page of the user's conversations, newest activity first. Answered with `conversation-list`, or
 * with an `error` (`bad-frame`) when a field is out of bounds.
 */
export interface ListConversationsFrame {
  type: 'list-conversations';
  /** The `cursor` of the previous page (of the same `query`). */
  before?: string;
  limit?: number;
  /**
   * Only conversations whose title contains this text, ignoring case (1..{@link MAX_CONVERSATION_QUERY_CHARS}
   * characters; untitled conversations never match). Pages and cursors work as without it.
   */
  query?: string;
}

/** Renames a conversation of the user's. Every tab following it gets `conversation-renamed`. */
export interface RenameConversationFrame {
  type: 'rename-conversation';
  conversationId: string;
  title: string;
}

/**
 * Deletes a conversation of the user's for good: its messages, its feedback, the streams' retained tokens.
 * Every tab following it gets `conversation-deleted` (and drops its cached copy).
 */
export interface DeleteConversationFrame {
  type: 'delete-conversation';
  conversationId: string;
}

// ───────────────────────────── server → client ─────────────────────────────

/** The rating (and comment) of an answer is stored. */
export interface FeedbackSavedFrame {
  type: 'feedback-saved';
  conversationId: string;
  streamId: string;
  rating: FeedbackRating;
}

/** One row of the conversation list. */
export interface ConversationSummary {
  conversationId: string;
  /** Set by a rename or by the automatic title of the first exchange; absent until then. */
  title?: string;
  createdAt: number;
  /** Last message or rename, ms since the epoch (the list's order). */
  updatedAt: number;
}

export interface ConversationListFrame {
  type: 'conversation-list';
  /** Newest activity first. */
  conversations: ConversationSummary[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  cursor?: string;
}

export interface ConversationRenamedFrame {
  type: 'conversation-renamed';
  conversationId: string;
  title: string;
}

export interface ConversationDeletedFrame {
  type: 'conversation-deleted';
  conversationId: string;
}

export type ConversationClientFrame =
  FeedbackFrame | ListConversationsFrame | RenameConversationFrame | DeleteConversationFrame | SelectBranchFrame;

export type ConversationServerFrame =
  | FeedbackSavedFrame
  | ConversationListFrame
  | ConversationRenamedFrame
  | ConversationDeletedFrame
  | BranchSelectedFrame;

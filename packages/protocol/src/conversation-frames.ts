/**
 * Frames of the conversations a user lives in (kinds 60–79): feedback on answers. Client frames are 60–69,
 * server frames 70–79.
 *
 * Every one is about conversations the user owns: the relay checks ownership before it reads or writes, and a
 * list only ever holds the asking user's conversations.
 */

/** A reader's rating of an answer. */
export type FeedbackRating = 'up' | 'down';
export const FEEDBACK_RATINGS: readonly FeedbackRating[] = ['up', 'down'];

/** Longest feedback comment, characters. */
export const MAX_FEEDBACK_COMMENT_CHARS = 2000;

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

// ───────────────────────────── server → client ─────────────────────────────

/** The rating (and comment) of an answer is stored. */
export interface FeedbackSavedFrame {
  type: 'feedback-saved';
  conversationId: string;
  streamId: string;
  rating: FeedbackRating;
}

export type ConversationClientFrame = FeedbackFrame;

export type ConversationServerFrame = FeedbackSavedFrame;

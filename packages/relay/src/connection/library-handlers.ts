/**
 * Frames about the conversations a user keeps (kinds 60–79): ratings of answers now; the conversation list,
 * rename and delete join them. Each acts only on a conversation the user owns (checked by the conversation
 * handlers' `authorize`, and again by the Store, which refuses writes by anyone but the owner).
 */
import type { FeedbackFrame } from '@locallightchat/protocol';
import type { RelayContext } from '../context.js';
import { assistantMessageId } from '../conversations/ids.js';
import type { FeedbackRecord } from '../store/store.js';
import type { Connection } from './connection.js';
import type { ConversationHandlers } from './conversation-handlers.js';

/** One per relay; each method answers one frame type for one connection. */
export class LibraryHandlers {
  constructor(
    private readonly ctx: RelayContext,
    private readonly conversations: ConversationHandlers,
  ) {}

  /** Stores a rating (the last one of an answer wins), confirms it, and offers it to the app's webhook. */
  async feedback(conn: Connection, frame: FeedbackFrame): Promise<void> {
    // A rating never claims a conversation: it must be the user's, and the answer one of its own.
    const access = await this.conversations.authorize(conn, frame.conversationId, 'read');
    if (access === undefined) return;
    if (access === 'unclaimed' || !(await this.conversations.streamBelongsTo(frame.conversationId, frame.streamId)))
      return conn.error('not-found', 'no such answer in that conversation', frame.streamId);
    const comment = frame.comment?.trim();
    const record: FeedbackRecord = {
      conversationId: frame.conversationId,
      streamId: frame.streamId,
      messageId: assistantMessageId(frame.streamId),
      userId: conn.userId!,
      rating: frame.rating,
      ...(comment ? { comment } : {}),
      createdAt: Date.now(),
    };
    if (!(await this.ctx.store.saveFeedback(record)))
      return conn.error('forbidden', 'that conversation belongs to another user', frame.streamId);
    conn.send({
      type: 'feedback-saved',
      conversationId: frame.conversationId,
      streamId: frame.streamId,
      rating: frame.rating,
    });
    this.ctx.feedbackWebhook?.offer(record);
  }
}

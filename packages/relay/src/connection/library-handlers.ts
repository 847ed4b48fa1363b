/**
 * Frames about the conversations a user keeps (kinds 60–79): ratings of answers, the conversation list,
 * rename and delete. Each acts only on a conversation the user owns (checked by the conversation
 * handlers' `authorize`, and again by the Store, which refuses writes by anyone but the owner).
 */
import type {
  DeleteConversationFrame,
  FeedbackFrame,
  ListConversationsFrame,
  RenameConversationFrame,
  SelectBranchFrame,
} from '@locallightchat/protocol';
import type { RelayContext } from '../context.js';
import { assistantMessageId } from '../conversations/ids.js';
import { cleanTitle } from '../conversations/titles.js';
import type { HubMember } from '../conversations/open-conversation.js';
import type { FeedbackRecord } from '../store/store.js';
import type { Connection } from './connection.js';
import type { ConversationHandlers } from './conversation-handlers.js';

/** Conversations in a list page when the client names no `limit`. */
const DEFAULT_LIST_LIMIT = 30;

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

  /** A page of the user's own conversations, newest activity first (those whose title matches `query`). */
  async list(conn: Connection, frame: ListConversationsFrame): Promise<void> {
    const page = await this.ctx.store.listConversations(conn.userId!, {
      ...(frame.before !== undefined ? { before: frame.before } : {}),
      limit: frame.limit ?? DEFAULT_LIST_LIMIT,
      ...(frame.query !== undefined ? { query: frame.query } : {}),
    });
    conn.send({
      type: 'conversation-list',
      conversations: page.conversations,
      ...(page.cursor ? { cursor: page.cursor } : {}),
    });
  }

  async rename(conn: Connection, frame: RenameConversationFrame): Promise<void> {
    if (!(await this.owned(conn, frame.conversationId))) return;
    const title = cleanTitle(frame.title);
    if (!title) return conn.error('bad-frame', 'the title is empty', frame.conversationId);
    if (!(await this.ctx.store.setConversationTitle(frame.conversationId, conn.userId!, title)))
      return conn.error('forbidden', 'that conversation belongs to another user', frame.conversationId);
    conn.send({ type: 'conversation-renamed', conversationId: frame.conversationId, title });
  }

  /**
   * Deletes a conversation for good: its running answers are stopped first (so nothing of it is written after),
   * then the Store forgets it, the broker its retained events, this node its streams' tokens, and the upload
   * store the files only it used (their bytes go back to the user's upload quota).
   */
  async delete(conn: Connection, frame: DeleteConversationFrame): Promise<void> {
    const { conversationId } = frame;
    if (!(await this.owned(conn, conversationId))) return;
    const { ctx } = this;
    for (const stream of ctx.hub.streamStates(conversationId))
      if (!stream.done)
        await ctx.broker
          .cancel(stream.streamId)
          .catch((error: unknown) => ctx.log.warn('could not stop a stream', error));
    if (!(await ctx.store.deleteConversation(conversationId, conn.userId!)))
      return conn.error('forbidden', 'that conversation belongs to another user', conversationId);
    await ctx.broker.purge(conversationId);
    const followers = ctx.hub.forget(conversationId);
    await ctx.uploads
      ?.forgetConversation(conn.userId!, conversationId)
      .catch((error: unknown) => ctx.log.warn("could not delete a conversation's uploads", error));
    // Done: every socket that followed it on this node is told (the protocol's rule), the asking one once, and
    // so are those on other nodes (the hub's announcement).
    for (const member of new Set<HubMember>([conn, ...followers])) member.conversationDeleted?.(conversationId);
    await ctx.hub.announceDeleted(conversationId);
  }

  /**
   * Shows another branch of a conversation: the Store keeps the choice (a reload, another tab or device sees
   * it), and the connection is told, so every tab sharing it loads the new path.
   */
  async selectBranch(conn: Connection, frame: SelectBranchFrame): Promise<void> {
    const { conversationId, messageId } = frame;
    const access = await this.conversations.authorize(conn, conversationId, 'read');
    if (access === undefined) return;
    if (access === 'unclaimed' || !(await this.ctx.store.selectBranch(conversationId, messageId)))
      return conn.error('not-found', 'no such message in that conversation', messageId);
    conn.send({ type: 'branch-selected', conversationId, messageId });
  }

  /** True when the user owns the conversation; otherwise the refusal (or `not-found`) is sent. */
  private async owned(conn: Connection, conversationId: string): Promise<boolean> {
    const access = await this.conversations.authorize(conn, conversationId, 'read');
    if (access === 'unclaimed') conn.error('not-found', 'no such conversation', conversationId);
    return access === 'own';
  }
}

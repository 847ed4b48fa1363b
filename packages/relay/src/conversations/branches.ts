/**
 * Where a sent message goes in its conversation's tree (see the Store's message tree): an edit or a regenerate
 * (`replaceFrom`) becomes a sibling of the message it replaces; a message written on a branch (`afterMessage`,
 * `afterStream`, from a client that knows which branch it shows) follows that branch's last message, even when
 * it arrives later from an outbox and another branch is shown by then; otherwise it follows the active path.
 */
import { MAX_BRANCHES, type ChatMessage, type SendFrame } from '@locallightchat/protocol';
import type { RelayContext } from '../context.js';
import type { AppendOptions } from '../store/store.js';
import { assistantMessageId, idsForSend, userMessageIdOf } from './ids.js';

/**
 * The Store's placement of a new message, or why it has none: 'unknown' (`replaceFrom` names no message of the
 * conversation) or 'full' (that message has MAX_BRANCHES versions already).
 */
export async function placeOf(
  ctx: RelayContext,
  frame: SendFrame,
  userId: string,
): Promise<AppendOptions | 'unknown' | 'full'> {
  const { store } = ctx;
  const conv = frame.conversationId;
  if (frame.replaceFrom !== undefined) {
    const [replaced] = await store.messagesTo(conv, frame.replaceFrom, 1);
    if (!replaced) return 'unknown';
    if ((replaced.siblings?.length ?? 1) >= MAX_BRANCHES) return 'full';
    return { parentId: replaced.parentId ?? null };
  }
  if (frame.afterStream !== undefined) {
    const answerId = assistantMessageId(frame.afterStream);
    // The answer may still be streaming (stored at its end): its question must be stored.
    if ((await store.messagesTo(conv, userMessageIdOf(frame.afterStream), 1)).length > 0) return { parentId: answerId };
  } else if (frame.afterMessage !== undefined) {
    const parentId = idsForSend(userId, frame.afterMessage).messageId;
    if ((await store.messagesTo(conv, parentId, 1)).length > 0) return { parentId };
  }
  // No branch named, or one this conversation does not hold (its id came from elsewhere): the active path.
  return {};
}

/** The messages a new message at `parentId` follows, as the model will read them (at most the prompt window). */
export async function contextBefore(
  ctx: RelayContext,
  frame: SendFrame,
  parentId: string | null | undefined,
): Promise<ChatMessage[]> {
  const limit = ctx.config.promptHistoryMessages;
  const conv = frame.conversationId;
  if (parentId === null) return [];
  if (parentId === undefined) return (await ctx.store.listMessages(conv, { limit })).messages;
  const chain = await ctx.store.messagesTo(conv, parentId, limit);
  // After an answer still being written (not stored yet): the model reads up to its question, as it would have.
  if (chain.length === 0 && frame.afterStream !== undefined)
    return ctx.store.messagesTo(conv, userMessageIdOf(frame.afterStream), limit);
  return chain;
}

/** The context of a stored message: its ancestry (its own branch), whichever branch is shown meanwhile. */
export async function promptContext(ctx: RelayContext, frame: SendFrame, messageId: string): Promise<ChatMessage[]> {
  const limit = ctx.config.promptHistoryMessages;
  const chain = await ctx.store.messagesTo(frame.conversationId, messageId, limit);
  if (chain.length === 1 && chain[0]!.parentId !== undefined && frame.afterStream !== undefined) {
    // It follows an answer not stored yet (see contextBefore).
    const before = await ctx.store.messagesTo(frame.conversationId, userMessageIdOf(frame.afterStream), limit - 1);
    return [...before, ...chain];
  }
  return chain;
}

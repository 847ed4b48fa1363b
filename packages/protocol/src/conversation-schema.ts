/**
 * Wire shapes of the conversation frames (kinds 60–79, see conversation-frames.ts), spread into the frame table
 * by schema.ts.
 */
import {
  FEEDBACK_RATINGS,
  MAX_CONVERSATION_PAGE,
  MAX_CONVERSATION_QUERY_CHARS,
  MAX_FEEDBACK_COMMENT_CHARS,
  MAX_TITLE_CHARS,
  type ConversationClientFrame,
  type ConversationServerFrame,
  type ConversationSummary,
} from './conversation-frames.js';
import { ID_PATTERN } from './ids.js';
import { HARD_LIMITS } from './limits.js';
import { list, oneOf, optional, record, str, uint, type Shape, type WireType } from './wire-type.js';

type ConversationFrame = ConversationClientFrame | ConversationServerFrame;
type Body<T extends ConversationFrame['type']> = Omit<Extract<ConversationFrame, { type: T }>, 'type'>;

/** Numeric kinds: client frames 60–69, server frames 70–79. */
export const CONVERSATION_FRAME_KINDS = {
  feedback: 60,
  'list-conversations': 61,
  'rename-conversation': 62,
  'delete-conversation': 63,
  'feedback-saved': 70,
  'conversation-list': 71,
  'conversation-renamed': 72,
  'conversation-deleted': 73,
  'select-branch': 64,
  'branch-selected': 74,
} as const satisfies Record<ConversationFrame['type'], number>;

export const CONVERSATION_CLIENT_FRAME_TYPES = [
  'feedback',
  'list-conversations',
  'rename-conversation',
  'delete-conversation',
  'select-branch',
] as const satisfies readonly ConversationClientFrame['type'][];

export const CONVERSATION_SERVER_FRAME_TYPES = [
  'feedback-saved',
  'conversation-list',
  'conversation-renamed',
  'conversation-deleted',
  'branch-selected',
] as const satisfies readonly ConversationServerFrame['type'][];

const id = str({ min: 1, max: HARD_LIMITS.idChars, pattern: ID_PATTERN });
const title = str({ min: 1, max: MAX_TITLE_CHARS });
const rating = oneOf(FEEDBACK_RATINGS);
/** List cursors are opaque to the client (a relay encodes a position in them). */
const cursor = str({ min: 1, max: 256 });

const summary = record<ConversationSummary>(
  { conversationId: id, title: optional(title), createdAt: uint(), updatedAt: uint() },
  'conversation summary',
);

function shape<T extends ConversationFrame['type']>(type: T, fields: Shape<Body<T>>): WireType<Body<T>> {
  return record<Body<T>>(fields, `${type} frame`);
}

/** The conversation frames' part of the frame table. */
export function conversationFrameTable(): { [T in ConversationFrame['type']]: WireType<Body<T>> } {
  return {
    feedback: shape('feedback', {
      conversationId: id,
      streamId: id,
      rating,
      comment: optional(str({ max: MAX_FEEDBACK_COMMENT_CHARS })),
    }),
    'list-conversations': shape('list-conversations', {
      before: optional(cursor),
      limit: optional(uint(MAX_CONVERSATION_PAGE)),
      query: optional(str({ min: 1, max: MAX_CONVERSATION_QUERY_CHARS })),
    }),
    'rename-conversation': shape('rename-conversation', { conversationId: id, title }),
    'delete-conversation': shape('delete-conversation', { conversationId: id }),
    'feedback-saved': shape('feedback-saved', { conversationId: id, streamId: id, rating }),
    'conversation-list': shape('conversation-list', {
      conversations: list(summary, MAX_CONVERSATION_PAGE),
      cursor: optional(cursor),
    }),
    'conversation-renamed': shape('conversation-renamed', { conversationId: id, title }),
    'conversation-deleted': shape('conversation-deleted', { conversationId: id }),
    'select-branch': shape('select-branch', { conversationId: id, messageId: id }),
    'branch-selected': shape('branch-selected', { conversationId: id, messageId: id }),
  };
}

/**
 * Wire shapes of the conversation frames (kinds 60–79, see conversation-frames.ts), spread into the frame table
 * by schema.ts.
 */
import {
  FEEDBACK_RATINGS,
  MAX_FEEDBACK_COMMENT_CHARS,
  type ConversationClientFrame,
  type ConversationServerFrame,
} from './conversation-frames.js';
import { ID_PATTERN } from './ids.js';
import { HARD_LIMITS } from './limits.js';
import { oneOf, optional, record, str, type Shape, type WireType } from './wire-type.js';

type ConversationFrame = ConversationClientFrame | ConversationServerFrame;
type Body<T extends ConversationFrame['type']> = Omit<Extract<ConversationFrame, { type: T }>, 'type'>;

/** Numeric kinds: client frames 60–69, server frames 70–79. */
export const CONVERSATION_FRAME_KINDS = {
  feedback: 60,
  'feedback-saved': 70,
} as const satisfies Record<ConversationFrame['type'], number>;

export const CONVERSATION_CLIENT_FRAME_TYPES = [
  'feedback',
] as const satisfies readonly ConversationClientFrame['type'][];

export const CONVERSATION_SERVER_FRAME_TYPES = [
  'feedback-saved',
] as const satisfies readonly ConversationServerFrame['type'][];

const id = str({ min: 1, max: HARD_LIMITS.idChars, pattern: ID_PATTERN });
const rating = oneOf(FEEDBACK_RATINGS);
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
    'feedback-saved': shape('feedback-saved', { conversationId: id, streamId: id, rating }),
  };
}

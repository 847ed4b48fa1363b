/**
 * Branch frames (kinds 64 and 74): a conversation is a tree of messages — an edit or a regenerate adds a sibling
 * of the message it replaces instead of deleting history — and the relay keeps, per conversation, which branch
 * is shown. History pages carry the active path; each message of it that has siblings names them
 * (`ChatMessage.siblings`), so a client can show "2 / 3" and switch.
 */

/** Most siblings one message may have (an edit or a regenerate past it is refused with `quota-exceeded`). */
export const MAX_BRANCHES = 64;

/**
 * Shows the branch of `messageId` (a sibling of a message on the active path): the relay stores the choice for
 * the conversation (every tab and device sees it; a reload keeps it) and answers with `branch-selected`, or an
 * `error` whose `ref` is `messageId` (`not-found` when it is not a message of that conversation).
 */
export interface SelectBranchFrame {
  type: 'select-branch';
  conversationId: string;
  messageId: string;
}

/** The conversation's active path now goes through `messageId`: load its history again to show it. */
export interface BranchSelectedFrame {
  type: 'branch-selected';
  conversationId: string;
  messageId: string;
}

/**
 * Between the AI SDK's UI messages and the client's messages: the text a user message carries, the relay's
 * history as UI messages (for `useChat({ messages })`), and which of our messages a UI message is.
 */
import type { ClientMessage, ConversationSnapshot } from '@locallightchat/client';
import type { UIMessage } from 'ai';

/** The text of a UI message: its text parts, in order. */
export function textOf(message: UIMessage): string {
  return message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

/**
 * A conversation as UI messages. Ids are the client's keys (the client message id of a user message, the
 * stream id of an answer), so an edit or a regenerate of one of them finds it, and a resumed answer replaces
 * its partial copy instead of adding a second one.
 */
export function toUIMessages(snapshot: ConversationSnapshot): UIMessage[] {
  return snapshot.messages.flatMap((m): UIMessage[] => {
    if (m.role === 'user') return [{ id: m.key, role: 'user', parts: [{ type: 'text', text: m.text }] }];
    if (m.role !== 'assistant') return [];
    const parts: UIMessage['parts'] = [];
    if (m.reasoning) parts.push({ type: 'reasoning', text: m.reasoning, state: 'done' });
    if (m.text) parts.push({ type: 'text', text: m.text, state: 'done' });
    return [{ id: m.key, role: 'assistant', parts }];
  });
}

/**
 * Our user message for a UI user message: by id (ours, as `toUIMessages` gives them; or the one the transport
 * recorded when it sent it), else by position among the user messages (both sides hold the same turns).
 */
export function matchUserMessage(
  snapshot: ConversationSnapshot,
  uiMessages: readonly UIMessage[],
  target: UIMessage,
  sentAs: ReadonlyMap<string, string>,
): ClientMessage | undefined {
  const users = snapshot.messages.filter((m) => m.role === 'user');
  const key = sentAs.get(target.id) ?? target.id;
  const byId = users.find((m) => m.key === key || m.id === key);
  if (byId) return byId;
  const ordinal = uiMessages.filter((m) => m.role === 'user').indexOf(target);
  return ordinal >= 0 ? users[ordinal] : undefined;
}

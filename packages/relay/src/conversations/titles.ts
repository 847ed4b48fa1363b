/**
 * Automatic conversation titles, from the first exchange. The default takes the first line of the first user
 * message (cut at a word boundary, at most 60 characters); an app that wants better titles (e.g. asked of a
 * model) passes `titleFor` to startRelay. A title is only ever set when the conversation has none, so it never
 * replaces the user's rename; a failing hook leaves the conversation untitled.
 */
import { MAX_TITLE_CHARS } from '@locallightchat/protocol';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

/** What a title is made from: the first user message of a conversation. */
export interface TitleInput {
  conversationId: string;
  userId: string;
  firstMessage: string;
}

/** Suggests a title (or none) for a new conversation; may be async (a model call). */
export type TitleHook = (input: TitleInput) => string | undefined | Promise<string | undefined>;

const DEFAULT_TITLE_CHARS = 60;

/** The default title: the first non-empty line, markdown emphasis and heading marks removed, cut at a word. */
export const defaultTitle: TitleHook = ({ firstMessage }) => {
  const line = firstMessage
    .split('\n')
    .map((l) =>
      l
        .replace(/^#+\s*/, '')
        .replace(/[*_`]+/g, '')
        .trim(),
    )
    .find((l) => l.length > 0);
  if (!line) return undefined;
  if (line.length <= DEFAULT_TITLE_CHARS) return line;
  const cut = line.slice(0, DEFAULT_TITLE_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
};

/** A hook's answer made safe to store (trimmed, one line, within the protocol's limit), or undefined. */
export function cleanTitle(title: string | undefined): string | undefined {
  const one = title?.replace(/\s+/g, ' ').trim();
  return one ? one.slice(0, MAX_TITLE_CHARS) : undefined;
}

/**
 * Gives a new conversation its automatic title (called once its first message is stored): the app's hook or the
 * default; never replaces a title it already has. Failures are logged: the conversation stays untitled.
 */
export async function titleNewConversation(
  deps: { store: Pick<Store, 'setConversationTitle'>; titleFor: TitleHook; log: Logger },
  input: TitleInput,
): Promise<void> {
  try {
    const title = cleanTitle(await deps.titleFor(input));
    if (title) await deps.store.setConversationTitle(input.conversationId, input.userId, title, { ifUnset: true });
  } catch (error) {
    deps.log.warn(`could not title ${input.conversationId}`, error);
  }
}

/**
 * The client is provided to every part through @lit/context: `<llc-chat>` provides one, and a team building
 * its own layout can provide theirs (`<llc-provider>` or any ContextProvider) and use our parts inside it.
 */
import { createContext } from '@lit/context';
import type { LlcClient } from '@locallightchat/client';

export const clientContext = createContext<LlcClient | undefined>(Symbol('llc-client'));
/** The conversation shown by the enclosing chat. */
export const conversationContext = createContext<string | undefined>(Symbol('llc-conversation'));

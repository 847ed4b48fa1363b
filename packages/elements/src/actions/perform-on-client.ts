/** The built-in message actions carried out on a client's conversation (what `<llc-message-list>` hands its rows). */
import type { LlcClient } from '@locallightchat/client';
import type { PerformAction } from './message-actions.js';

/** Acts on the conversation `target()` names at the time of the action; does nothing while it names none. */
export function performOnClient(target: () => { client?: LlcClient; conversationId?: string }): PerformAction {
  return async (detail) => {
    const { client, conversationId } = target();
    if (!client || !conversationId) return;
    switch (detail.action) {
      case 'regenerate':
        client.regenerate(conversationId, detail.messageKey);
        return;
      case 'edit':
        if (detail.edited) client.editAndResend(conversationId, detail.messageKey, detail.edited);
        return;
      case 'feedback':
        if (detail.rating) await client.feedback(conversationId, detail.messageKey, detail.rating, detail.comment);
        return;
      case 'select-branch':
        if (detail.branch) client.selectBranch(conversationId, detail.branch);
        return;
    }
  };
}

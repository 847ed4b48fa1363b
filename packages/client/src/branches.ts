/**
 * The branch a new message is written on, as the relay reads it (`SendFrame.afterMessage` / `afterStream`): the
 * last message shown. Sent with the message (and kept with it in the outbox), so a message sent later — after a
 * reconnect, a reload, or once another tab has switched branches — still lands where it was written.
 */
import type { SendFrame } from '@locallightchat/protocol/core';
import type { ClientMessage } from './types.js';

export function branchOf(shown: readonly ClientMessage[]): Pick<SendFrame, 'afterMessage' | 'afterStream'> {
  const last = shown.at(-1);
  if (!last) return {};
  if (last.role === 'assistant') return last.streamId ? { afterStream: last.streamId } : {};
  return last.clientMessageId ? { afterMessage: last.clientMessageId } : {};
}

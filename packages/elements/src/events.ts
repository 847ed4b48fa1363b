/**
 * The DOM events the elements fire, typed. All bubble and cross shadow roots (`composed`), so a listener on
 * `<llc-chat>` (or any ancestor) hears those of its parts. `HTMLElementEventMap` is augmented with them, so
 * `chat.addEventListener('llc-message-action', (e) => e.detail.action)` type-checks without a cast.
 */

import type { Attachment, FeedbackRating } from '@locallightchat/protocol';

/** Detail of the cancelable `llc-send` event fired before a message is sent. */
export interface SendEventDetail {
  conversationId: string;
  text: string;
  /** The files and images going with it (uploaded ones, and Files the client uploads once connected). */
  attachments?: (Attachment | File)[];
}

/** Detail of `llc-stop`: the user stopped this answer. */
export interface StopEventDetail {
  streamId: string;
}

/**
 * Detail of `llc-message-action`: a built-in action (`copy`, `regenerate`, `edit`, `feedback`) or an element
 * with `data-action` in a message's actions template was clicked. Built-in actions fire it cancelable:
 * `preventDefault()` keeps the element from carrying it out (the app does it instead).
 */
export interface MessageActionEventDetail {
  /** The built-in action's name, or the clicked element's `data-action`. */
  action: string;
  messageKey: string;
  /** The message's text (for `copy`: what goes to the clipboard). */
  text: string;
  /** `copy`: as `markdown` (the source) or `text` (what the reader sees). */
  format?: 'markdown' | 'text';
  /** `feedback`: the rating. */
  rating?: FeedbackRating;
  /** `feedback`: the optional comment (sent as a second feedback of the same rating). */
  comment?: string;
  /** `edit`: the new text. */
  edited?: string;
  /** `select-branch` (the branch picker): the server id of the version to show (one of the message's siblings). */
  branch?: string;
}

/** Detail of `llc-announce`: text for the polite live region (a finished block, never a token). */
export interface AnnounceEventDetail {
  text: string;
  /** Say it only once under this key (an answer's start and end), even if offered again. */
  once?: string;
}

/** Detail of `llc-tool-decision`: the reader approved or denied a tool call the model made. */
export interface ToolDecisionEventDetail {
  decision: 'approve' | 'deny';
  messageKey: string;
  /** The call's id (vLLM: `chatcmpl-tool-…`): key your execution on it to run each call once. */
  id: string;
  name: string;
  /** The arguments' JSON text, as the model wrote it. */
  args: string;
}

/** Every event the elements fire, by name. */
export interface LlcElementEventMap {
  /** `<llc-composer>`: before a message is sent; `preventDefault()` keeps it from being sent. */
  'llc-send': CustomEvent<SendEventDetail>;
  /** `<llc-composer>`: the user stopped an answer. */
  'llc-stop': CustomEvent<StopEventDetail>;
  /** `<llc-message>`: an action of a message was clicked. */
  'llc-message-action': CustomEvent<MessageActionEventDetail>;
  /** `<llc-message-list>` fed through `messages`: the reader reached the top, load older messages. */
  'llc-load-older': CustomEvent<null>;
  /** `<llc-conversation-list>`: the user chose a conversation. */
  'llc-conversation-select': CustomEvent<{ conversationId: string }>;
  /** `<llc-message>`: a finished block of a streaming answer, for the transcript's live region. */
  'llc-announce': CustomEvent<AnnounceEventDetail>;
  /** `<llc-message>`: the reader approved or denied a tool call (see `toolStates` for showing its outcome). */
  'llc-tool-decision': CustomEvent<ToolDecisionEventDetail>;
}

declare global {
  interface HTMLElementEventMap {
    'llc-send': LlcElementEventMap['llc-send'];
    'llc-stop': LlcElementEventMap['llc-stop'];
    'llc-message-action': LlcElementEventMap['llc-message-action'];
    'llc-load-older': LlcElementEventMap['llc-load-older'];
    'llc-announce': LlcElementEventMap['llc-announce'];
    'llc-conversation-select': LlcElementEventMap['llc-conversation-select'];
    'llc-tool-decision': LlcElementEventMap['llc-tool-decision'];
  }
}

/** Fires one of the elements' events from `target` (bubbling, composed); false when a listener cancelled it. */
export function fire<K extends keyof LlcElementEventMap>(
  target: EventTarget,
  type: K,
  detail: LlcElementEventMap[K]['detail'],
  cancelable = false,
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
}

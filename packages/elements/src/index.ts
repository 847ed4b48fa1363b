/**
 * @locallightchat/elements — Lit web components for LocalLightChat. Importing this module defines
 * `<llc-chat>`, `<llc-message-list>`, `<llc-message>`, `<llc-composer>` and `<llc-status>`.
 */
export { LlcChat } from './llc-chat.js';
export { LlcMessageList } from './llc-message-list.js';
export { LlcMessage } from './llc-message.js';
export { LlcComposer, type SendEventDetail } from './llc-composer.js';
export { LlcStatus } from './llc-status.js';
export { clientContext, conversationContext } from './context.js';
export { ConversationController } from './controllers/conversation-controller.js';
export { FrameScheduler } from './controllers/frame-scheduler.js';
export { renderMarkdown, createMarkdown, sanitize, sanitizeToFragment, isSafeUrl } from './markdown/render-markdown.js';
export { IncrementalMarkdown, type IncrementalOptions, type IncrementalStats, type BlockHook } from './markdown/incremental.js';
export { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

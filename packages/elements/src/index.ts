/**
 * @locallightchat/elements — Lit web components for LocalLightChat. Importing this module defines
 * `<llc-chat>`, `<llc-message-list>`, `<llc-message>`, `<llc-composer>`, `<llc-status>` and `<llc-provider>`.
 */
export { LlcChat } from './llc-chat.js';
export { LlcMessageList } from './llc-message-list.js';
export { LlcMessage } from './llc-message.js';
export { LlcComposer, type SendEventDetail } from './llc-composer.js';
export { LlcStatus } from './llc-status.js';
export { LlcProvider } from './llc-provider.js';
export type { AnnounceEventDetail } from './llc-message.js';
export type { Renderers, ToolCallInfo, CodeBlockInfo, CodeBlockRenderer } from './renderers.js';
export { defaultCodeBlock } from './code/code-block.js';
export { configureHighlighting, highlightStats, type HighlightOptions } from './code/highlighter.js';
export { StreamingMarkdown, type StreamingMarkdownOptions } from './controllers/streaming-markdown.js';
export { FlushPlanner, type FlushPlannerOptions } from './controllers/flush-planner.js';
export { clientContext, conversationContext } from './context.js';
export { ConversationController } from './controllers/conversation-controller.js';
export { FrameScheduler } from './controllers/frame-scheduler.js';
export { renderMarkdown, createMarkdown, sanitize, sanitizeToFragment, isSafeUrl } from './markdown/render-markdown.js';
export {
  IncrementalMarkdown,
  type IncrementalOptions,
  type IncrementalStats,
  type BlockHook,
} from './markdown/incremental.js';
export { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

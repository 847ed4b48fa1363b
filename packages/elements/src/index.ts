/**
 * @locallightchat/elements — Lit web components for LocalLightChat. Importing this module defines
 * `<llc-chat>`, `<llc-message-list>`, `<llc-message>`, `<llc-composer>`, `<llc-status>` and `<llc-provider>`.
 *
 * What they are made of (the streaming markdown renderer, the flush planner, controllers…) is exported by
 * `@locallightchat/elements/internal`, for tests, benchmarks and tools; it may change between versions.
 */
export { LlcChat } from './llc-chat.js';
export { LlcMessageList } from './llc-message-list.js';
export { LlcMessage } from './llc-message.js';
export { LlcComposer } from './llc-composer.js';
export { LlcStatus } from './llc-status.js';
export { LlcProvider } from './llc-provider.js';
/** `<llc-conversation-list>` is not defined here (first load): `import '@locallightchat/elements/conversation-list'`. */
export type { LlcConversationList, ConversationSelectEventDetail } from './llc-conversation-list.js';
export type {
  AnnounceEventDetail,
  LlcElementEventMap,
  MessageActionEventDetail,
  SendEventDetail,
  StopEventDetail,
  ToolDecisionEventDetail,
} from './events.js';
export type {
  Renderers,
  ToolCallInfo,
  ToolCallOutcome,
  ToolCallStatus,
  CodeBlockInfo,
  CodeBlockRenderer,
} from './renderers.js';
export { defaultToolCall } from './parts/tool-calls-part.js';
export { defaultCodeBlock } from './code/code-block.js';
export { ALL_MESSAGE_ACTIONS, parseActions, type MessageActionName } from './actions/action-names.js';
export type { PerformAction } from './actions/message-actions.js';
export {
  configureHighlighting,
  highlightStats,
  DEFAULT_HIGHLIGHTING,
  type HighlightOptions,
} from './code/highlighter.js';
export { clientContext, conversationContext } from './context.js';
export { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * @locallightchat/relay/internal — parts behind the public entry that this repository's tests and benchmarks
 * reach (the send queue on a fake socket, the HS256 fast path against jose, …). No stability promise: names and
 * shapes here change with the relay. Applications use `@locallightchat/relay`.
 */
export {
  SendQueue,
  DEFAULT_SEND_QUEUE_OPTIONS,
  resolveSendQueueOptions,
  type SendQueueOptions,
  type SendQueueEvents,
  type SocketSink,
} from './connection/send-queue.js';
export { hs256Key, verifyHs256, type Hs256Outcome, type ClaimRules } from './auth/hs256.js';
export { tokenAllows, resolveAuthConfig, type ResolvedAuthConfig } from './auth/authenticator.js';
export { idsForSend, assistantMessageId, type MessageIds } from './conversations/ids.js';
export { generationRequest, type PromptConfig } from './conversations/generation-request.js';
export { resolveMemoryStoreOptions } from './store/memory-store.js';
export { resolveRedisStoreOptions } from './store/redis-store.js';
export { withDefaults } from './options.js';
/** The uWebSockets.js module the relay chose (benchmarks' raw-uWS floors run on the same build). */
export { uWS } from './uws.js';
export {
  FeedbackWebhook,
  DEFAULT_FEEDBACK_WEBHOOK_OPTIONS,
  resolveFeedbackWebhookOptions,
  type FeedbackWebhookOptions,
} from './feedback/feedback-webhook.js';
export type { FeedbackRecord } from './store/store.js';
export type { Logger } from './log.js';
export { StreamRecord, type StreamEvent } from './conversations/stream-record.js';
export { BatchLog } from './conversations/batch-log.js';
export { titleNewConversation, cleanTitle } from './conversations/titles.js';
export { ConversationHub } from './conversations/conversation-hub.js';
export type { HubMember } from './conversations/open-conversation.js';
export { AnswerWriter } from './conversations/answer-writer.js';
export { FD_RESERVE, connectionCapacity, openFileLimit, reopenBelow } from './connection/capacity.js';
export { ReplayPacer, replayFrameChars } from './connection/paced-replay.js';

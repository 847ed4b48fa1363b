/**
 * @locallightchat/ai-sdk — LocalLightChat for the Vercel AI SDK: `useChat({ transport: new LlcChatTransport(…) })`
 * streams through the relay, with resume after a reload or reconnect and one connection for all tabs.
 */
export { LlcChatTransport, LlcChatTransportError, type LlcChatTransportOptions } from './transport.js';
export { followAnswer, type AnswerLocator, type FollowOptions } from './answer-stream.js';
export { textOf, toUIMessages } from './messages.js';

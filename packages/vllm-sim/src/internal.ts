/**
 * `@locallightchat/vllm-sim/internal` — everything of the public entry, plus what the simulator's tests need:
 * request parsing and validation (`prepareChat`, `prepareCompletion`, vLLM's error bodies), the deterministic
 * text generator and tokenizer, the seeded random source, and the option resolvers. Not a stable API.
 */
export * from './index.js';
export { ApiErrors } from './api-errors.js';
export {
  parseMessages,
  prepareChat,
  prepareCompletion,
  type ChatMessageInput,
  type PreparedRequest,
} from './requests.js';
export { answerText, createAnswer, topicOf, type AnswerOptions } from './text-generator.js';
export { countChatPromptTokens, countCompletionPromptTokens, countTokens, tokenize } from './tokenizer.js';
export { Rng, hash32 } from './random.js';
export { resolveSimulatorOptions } from './http-server.js';
export { resolveSimulatorCoreOptions } from './core.js';
export { resolveEngineOptions } from './engine.js';
export { withDefaults } from './options.js';
export { KvCache, type CachedSequence, type KvCacheOptions } from './kv-cache.js';
export { encodeKvEventBatch } from './kv-events.js';
export { encodeMsgpack, F64, type MsgpackValue } from './msgpack-writer.js';
export { EOS_TOKEN_ID, SPECIAL_TOKEN_IDS, textTokenIds, tokenId } from './token-ids.js';

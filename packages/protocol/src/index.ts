/**
 * @locallightchat/protocol — the one wire protocol spoken by browsers, relays and bridges.
 *
 * - frames.ts: the frame types (documented where declared)
 * - codec.ts: msgpack (and JSON) encoding; decoding validates untrusted input and never throws
 * - codes.ts: error codes and WebSocket close codes
 * - limits.ts / ids.ts: size limits and id rules
 * - token-view.ts: a token frame's header read without decoding its text (the relay's forwarding path)
 * - seq.ts: the seq rule (old / next / gap) every layer applies to token batches
 * - tool-calls.ts: tool calls put together from the parts in token batches
 *
 * `@locallightchat/protocol/core` is all of it but the codec (for code that never encodes or decodes).
 */
export * from './core.js';
export {
  ProtocolError,
  encodeFrame,
  encodeFrameJson,
  decodeClientFrame,
  decodeServerFrame,
  decodeClientFrameJson,
  decodeServerFrameJson,
  frameToWire,
  isFrame,
  type DecodeResult,
  type ProtocolErrorCode,
} from './codec.js';
export { FRAME_KINDS, CLIENT_FRAME_TYPES, SERVER_FRAME_TYPES, MAX_TOOL_CALLS, MAX_TOOL_PARTS } from './schema.js';
export { attachmentList, attachmentWire } from './attachments.js';
export { readTokenHeader, viewTokenFrame, TokenFrameView, type TokenHeader } from './token-view.js';

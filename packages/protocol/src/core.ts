/**
 * @locallightchat/protocol/core — the protocol without its codec: frame types, error and close codes, limits,
 * ids, the seq rule and tool-call assembly. Code that never encodes or decodes frames imports this entry, so a
 * bundle of it does not carry msgpackr (bundlers place modules by what each entry file reaches: `.` re-exports
 * the codec, and a chunk that reaches `.` reaches msgpackr too). The browser client's page-side code imports it;
 * the part that holds a socket (its in-page links, loaded on demand) imports `.`.
 */
export * from './frames.js';
export * from './conversation-frames.js';
export * from './branch-frames.js';
export * from './codes.js';
export * from './limits.js';
export * from './ids.js';
export { classifyBatch, firstSeqOf, followsBatch, mergeBatches, type BatchPlace } from './seq.js';
export { applyToolCallParts, storedToolCalls, toolResultsProblem, type ToolCallState } from './tool-calls.js';
export {
  ATTACHMENT_LIMITS,
  attachmentProblem,
  isAttachmentUrl,
  isImageAttachment,
  type Attachment,
} from './attachments.js';

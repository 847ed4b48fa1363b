/**
 * The frame table: for each frame type, its numeric kind on the wire and the positional shape of its fields.
 * Kinds are stable forever; fields may only be appended (as optional) in later protocol versions.
 */
import { attachmentList } from './attachments.js';
import { ERROR_CODE_LIST, type ErrorCode } from './codes.js';
import {
  CONVERSATION_CLIENT_FRAME_TYPES,
  CONVERSATION_FRAME_KINDS,
  CONVERSATION_SERVER_FRAME_TYPES,
  conversationFrameTable,
} from './conversation-schema.js';
import {
  FINISH_REASONS,
  ROLES,
  type ChatMessage,
  type Frame,
  type FrameOf,
  type FrameType,
  type StoredToolCall,
  type StreamState,
  type ToolCallPart,
  type ToolResult,
  type Usage,
} from './frames.js';
import { MAX_BRANCHES } from './branch-frames.js';
import { ID_PATTERN } from './ids.js';
import { HARD_LIMITS, type FrameLimits } from './limits.js';
import {
  bool,
  list,
  num,
  oneOf,
  oneOfOrUnknown,
  optional,
  record,
  str,
  uint,
  type Shape,
  type WireType,
} from './wire-type.js';

/** Numeric kind of each frame type (first element of the wire array). */
export const FRAME_KINDS = {
  hello: 1,
  auth: 2,
  send: 3,
  subscribe: 4,
  unsubscribe: 5,
  resume: 6,
  stop: 7,
  history: 8,
  ping: 9,
  pong: 10,
  welcome: 20,
  ack: 21,
  message: 22,
  'stream-start': 23,
  token: 24,
  'stream-end': 25,
  queued: 26,
  subscribed: 27,
  'history-page': 28,
  error: 29,
  'go-away': 30,
  'auth-expiring': 31,
  ...CONVERSATION_FRAME_KINDS,
} as const satisfies Record<FrameType, number>;

export const CLIENT_FRAME_TYPES = [
  'hello',
  'auth',
  'send',
  'subscribe',
  'unsubscribe',
  'resume',
  'stop',
  'history',
  'ping',
  'pong',
  ...CONVERSATION_CLIENT_FRAME_TYPES,
] as const satisfies readonly FrameType[];

export const SERVER_FRAME_TYPES = [
  'welcome',
  'ack',
  'message',
  'stream-start',
  'token',
  'stream-end',
  'queued',
  'subscribed',
  'history-page',
  'error',
  'go-away',
  'auth-expiring',
  'ping',
  'pong',
  ...CONVERSATION_SERVER_FRAME_TYPES,
] as const satisfies readonly FrameType[];

type Body<T extends FrameType> = Omit<FrameOf<T>, 'type'>;
export type FrameTable = { [T in FrameType]: WireType<Body<T>> };

const id = str({ min: 1, max: HARD_LIMITS.idChars, pattern: ID_PATTERN });
/** A subscription grant (opaque to clients; the relay's auth/subscription-grant.ts reads it). */
const grant = str({ min: 1, max: HARD_LIMITS.grantChars });
const ms = uint();
const seq = uint();
// Codes grow with versions: one a newer relay sends must not make an older client refuse the frame.
const errorCode: WireType<ErrorCode> = oneOfOrUnknown(ERROR_CODE_LIST, 'unknown-error');
const finishReason = oneOf(FINISH_REASONS);

const usage = record<Usage>({ promptTokens: uint(), completionTokens: uint() }, 'usage');

const streamState = record<StreamState>({ streamId: id, replyTo: id, lastSeq: seq, done: bool }, 'stream state');

/** Tool calls per message, and tool-call parts per (possibly coalesced) token batch. */
export const MAX_TOOL_CALLS = 128;
export const MAX_TOOL_PARTS = 1024;

const toolCallPart = record<ToolCallPart>(
  {
    index: uint(MAX_TOOL_CALLS - 1),
    id: optional(str({ min: 1, max: 256 })),
    name: optional(str({ min: 1, max: 256 })),
    args: optional(str({ max: HARD_LIMITS.batchChars })),
    end: optional(bool),
  },
  'tool-call part',
);

function storedToolCall(maxText: number): WireType<StoredToolCall> {
  return record<StoredToolCall>(
    { id: str({ min: 1, max: 256 }), name: str({ max: 256 }), arguments: str({ max: maxText }) },
    'tool call',
  );
}

function toolResult(maxText: number): WireType<ToolResult> {
  return record<ToolResult>(
    { toolCallId: str({ min: 1, max: 256 }), content: str({ max: maxText }), isError: optional(bool) },
    'tool result',
  );
}

function chatMessage(maxText: number): WireType<ChatMessage> {
  return record<ChatMessage>(
    {
      id,
      role: oneOf(ROLES),
      text: str({ max: maxText }),
      createdAt: ms,
      clientMessageId: optional(id),
      streamId: optional(id),
      finishReason: optional(finishReason),
      reasoning: optional(str({ max: maxText })),
      reasoningMs: optional(uint()),
      toolCalls: optional(list(storedToolCall(maxText), MAX_TOOL_CALLS)),
      toolResults: optional(list(toolResult(maxText), MAX_TOOL_CALLS)),
      errorCode: optional(errorCode),
      errorMessage: optional(str({ max: 1000 })),
      attachments: optional(attachmentList),
      parentId: optional(id),
      siblings: optional(list(id, MAX_BRANCHES)),
    },
    'message',
  );
}

function shape<T extends FrameType>(type: T, fields: Shape<Body<T>>): WireType<Body<T>> {
  return record<Body<T>>(fields, `${type} frame`);
}

/** Builds the table for a set of limits (text fields depend on `maxTextChars`). */
export function buildFrameTable(limits: FrameLimits): FrameTable {
  const text = str({ max: limits.maxTextChars });
  const message = chatMessage(limits.maxTextChars);
  const batchText = str({ max: Math.max(limits.maxTextChars, HARD_LIMITS.batchChars) });
  return {
    hello: shape('hello', {
      v: uint(0xffff),
      token: optional(str({ min: 1, max: HARD_LIMITS.tokenChars })),
      client: optional(str({ max: HARD_LIMITS.modelChars })),
      session: optional(id),
    }),
    auth: shape('auth', { token: str({ min: 1, max: HARD_LIMITS.tokenChars }) }),
    send: shape('send', {
      clientMessageId: id,
      conversationId: id,
      text,
      model: optional(str({ min: 1, max: HARD_LIMITS.modelChars })),
      maxTokens: optional(uint(1_000_000)),
      temperature: optional(num(0, 2)),
      replaceFrom: optional(id),
      toolResults: optional(list(toolResult(limits.maxTextChars), MAX_TOOL_CALLS)),
      attachments: optional(attachmentList),
      afterMessage: optional(id),
      afterStream: optional(id),
    }),
    subscribe: shape('subscribe', { conversationId: id, grant: optional(grant) }),
    unsubscribe: shape('unsubscribe', { conversationId: id }),
    resume: shape('resume', { conversationId: id, streamId: id, fromSeq: uint() }),
    stop: shape('stop', { conversationId: id, streamId: id }),
    history: shape('history', {
      conversationId: id,
      before: optional(id),
      limit: optional(uint(HARD_LIMITS.historyPage)),
    }),
    ping: shape('ping', { ts: ms }),
    pong: shape('pong', { ts: ms }),
    welcome: shape('welcome', {
      v: uint(0xffff),
      sessionId: id,
      userId: str({ min: 1, max: 256 }),
      heartbeatMs: uint(3_600_000),
      maxFrameBytes: uint(),
      maxTextChars: uint(),
      tokenExpiresAt: optional(ms),
      restored: optional(list(id, HARD_LIMITS.sessionConversations)),
    }),
    ack: shape('ack', {
      clientMessageId: id,
      conversationId: id,
      messageId: id,
      streamId: id,
      duplicate: bool,
    }),
    message: shape('message', { conversationId: id, message }),
    'stream-start': shape('stream-start', {
      streamId: id,
      conversationId: id,
      replyTo: id,
      model: str({ max: HARD_LIMITS.modelChars }),
      createdAt: ms,
    }),
    token: shape('token', {
      streamId: id,
      seq: uint(),
      text: batchText,
      reasoning: optional(batchText),
      firstSeq: optional(uint()),
      tools: optional(list(toolCallPart, MAX_TOOL_PARTS)),
    }),
    'stream-end': shape('stream-end', {
      streamId: id,
      conversationId: id,
      lastSeq: seq,
      finishReason,
      usage: optional(usage),
      errorCode: optional(errorCode),
      errorMessage: optional(str({ max: HARD_LIMITS.messageChars })),
      reasoningMs: optional(uint()),
    }),
    queued: shape('queued', { streamId: id, position: uint() }),
    subscribed: shape('subscribed', {
      conversationId: id,
      streams: list(streamState, HARD_LIMITS.resumeStreams),
      grant: optional(grant),
    }),
    'history-page': shape('history-page', {
      conversationId: id,
      messages: list(message, HARD_LIMITS.historyPage),
      cursor: optional(id),
    }),
    error: shape('error', {
      code: errorCode,
      message: str({ max: HARD_LIMITS.messageChars }),
      ref: optional(str({ max: 256 })),
      retryAfterMs: optional(uint()),
    }),
    'go-away': shape('go-away', { reason: str({ max: HARD_LIMITS.messageChars }), reconnectAfterMs: uint() }),
    'auth-expiring': shape('auth-expiring', { expiresAt: ms }),
    ...conversationFrameTable(),
  };
}

/** Frame type by numeric kind. */
export const TYPE_BY_KIND: ReadonlyMap<number, FrameType> = new Map(
  (Object.entries(FRAME_KINDS) as [FrameType, number][]).map(([t, k]) => [k, t]),
);

export type { Frame };

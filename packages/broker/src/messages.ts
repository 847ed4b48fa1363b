/**
 * What travels through the broker between relays and bridges.
 *
 * - Generation requests: relay → work queue → one bridge. Idempotent on `requestId` (the client message id),
 *   so an outbox retry or a relay retry is generated once.
 * - Conversation events: bridge (stream frames) or relay (user message echoes) → every relay node holding that
 *   conversation. They are protocol *server frames*, encoded once by the publisher, so a relay forwards the
 *   bytes to its sockets without re-encoding.
 * - Cancellations: relay → every bridge.
 */
import {
  HARD_LIMITS,
  ID_PATTERN,
  MAX_TOOL_CALLS,
  attachmentList,
  type Attachment,
  ROLES,
  decodeServerFrame,
  type MessageFrame,
  type QueuedFrame,
  type Role,
  type StreamEndFrame,
  type StoredToolCall,
  type StreamStartFrame,
  type TokenFrame,
  type ToolResult,
} from '@locallightchat/protocol';
import { InvalidField, bool, list, num, oneOf, optional, record, str, uint } from '@locallightchat/protocol/wire';
import { Packr, Unpackr } from 'msgpackr';

/** One prompt message as sent to the model. */
export interface PromptMessage {
  role: Role;
  content: string;
  /** An assistant turn that called tools: its calls (the model sees its own calls before their results). */
  toolCalls?: StoredToolCall[];
  /** A `tool` turn: the results, one per call. */
  toolResults?: ToolResult[];
  /** A user turn's files and images (the bridge turns them into content parts). */
  attachments?: Attachment[];
}

/** A request to generate one assistant reply. */
export interface GenerationRequest {
  /** Idempotency key: the client message id of the user message being answered. */
  requestId: string;
  streamId: string;
  conversationId: string;
  userId: string;
  /** Server id of the user message being answered. */
  replyTo: string;
  /** The prompt: conversation history plus the new user message, oldest first. */
  messages: PromptMessage[];
  /** Requested model; absent = the bridge's default. */
  model?: string;
  maxTokens: number;
  temperature?: number;
  /** Lower runs first (vLLM semantics); 0 is normal. */
  priority: number;
  /** Milliseconds since the epoch, when the relay accepted the message. */
  createdAt: number;
  /** Prompt tokens the relay reserved with the rate limiter (estimate), for accounting. */
  reservedTokens?: number;
}

/** Frames published on a conversation's subject. */
export type ConversationEvent = MessageFrame | StreamStartFrame | TokenFrame | StreamEndFrame | QueuedFrame;
const CONVERSATION_EVENT_TYPES = new Set(['message', 'stream-start', 'token', 'stream-end', 'queued']);

const id = str({ min: 1, max: HARD_LIMITS.idChars, pattern: ID_PATTERN });
const MAX_PROMPT_CHARS = 4_000_000;

const requestSchema = record<GenerationRequest>(
  {
    requestId: id,
    streamId: id,
    conversationId: id,
    userId: str({ min: 1, max: 256 }),
    replyTo: id,
    messages: list(
      record<PromptMessage>({
        role: oneOf(ROLES),
        content: str({ max: MAX_PROMPT_CHARS }),
        toolCalls: optional(
          list(
            record<StoredToolCall>({
              id: str({ min: 1, max: 256 }),
              name: str({ max: 256 }),
              arguments: str({ max: MAX_PROMPT_CHARS }),
            }),
            MAX_TOOL_CALLS,
          ),
        ),
        toolResults: optional(
          list(
            record<ToolResult>({
              toolCallId: str({ min: 1, max: 256 }),
              content: str({ max: MAX_PROMPT_CHARS }),
              isError: optional(bool),
            }),
            MAX_TOOL_CALLS,
          ),
        ),
        attachments: optional(attachmentList),
      }),
      100_000,
    ),
    model: optional(str({ min: 1, max: HARD_LIMITS.modelChars })),
    maxTokens: uint(1_000_000),
    temperature: optional(num(0, 2)),
    priority: num(-1_000_000, 1_000_000),
    createdAt: uint(),
    reservedTokens: optional(uint()),
  },
  'generation request',
);

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** A generation request as msgpack, for the work queue. */
export function encodeRequest(request: GenerationRequest): Uint8Array {
  return packr.pack(requestSchema.write(request));
}

/** Thrown when a broker message does not decode; adapters log, count and drop (and ack) such messages. */
export class BrokerMessageError extends Error {
  override readonly name = 'BrokerMessageError';
}

/** A generation request from the work queue, validated; throws {@link BrokerMessageError}. */
export function decodeRequest(bytes: Uint8Array): GenerationRequest {
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes);
  } catch {
    throw new BrokerMessageError('generation request is not valid msgpack');
  }
  try {
    return requestSchema.read(raw, 'request');
  } catch (error) {
    throw new BrokerMessageError(error instanceof InvalidField ? error.message : 'invalid generation request');
  }
}

/** Decodes a conversation event published on the broker (validated like any network input). */
export function decodeEvent(bytes: Uint8Array): ConversationEvent {
  const result = decodeServerFrame(bytes);
  if (!result.ok) throw new BrokerMessageError(result.error.message);
  if (!CONVERSATION_EVENT_TYPES.has(result.frame.type)) {
    throw new BrokerMessageError(`frame type ${result.frame.type} is not a conversation event`);
  }
  return result.frame as ConversationEvent;
}

/**
 * Subjects used by the NATS adapter. A conversation's events go to `llc.conv.<conversationId>.<streamId>` (or
 * `.m` for message echoes), so a node subscribes to `llc.conv.<conversationId>.>` and a resume reads one
 * stream's subject only. Ids are restricted to `[A-Za-z0-9_-]`, so they are always single subject tokens.
 */
export const Subjects = {
  conversation: (conversationId: string) => `llc.conv.${conversationId}.>`,
  event: (conversationId: string, event: ConversationEvent) =>
    `llc.conv.${conversationId}.${event.type === 'message' ? 'm' : event.streamId}`,
  stream: (conversationId: string, streamId: string) => `llc.conv.${conversationId}.${streamId}`,
  allConversations: 'llc.conv.>',
  /** Work queue of generation requests. */
  requests: 'llc.gen.requests',
  /** Cancellation of one stream (retained briefly so a bridge can check before starting). */
  cancel: (streamId: string) => `llc.gen.cancel.${streamId}`,
  allCancels: 'llc.gen.cancel.>',
  /** A conversation was deleted (core NATS only: no stream captures it, nothing of it is retained). */
  deleted: (conversationId: string) => `llc.deleted.${conversationId}`,
  allDeleted: 'llc.deleted.>',
} as const;

/** The conversation id of a subject of `Subjects.event` (ids are single tokens: the third one). */
export function conversationOfSubject(subject: string): string {
  const start = subject.indexOf('.', subject.indexOf('.') + 1) + 1;
  const end = subject.indexOf('.', start);
  return subject.slice(start, end < 0 ? undefined : end);
}

/** Dedup id of an event in the retained stream: a bridge retry republishes the same ids. */
export function eventMessageId(event: ConversationEvent): string {
  switch (event.type) {
    case 'message':
      return `msg:${event.message.id}`;
    case 'stream-start':
      return `${event.streamId}:start`;
    case 'token':
      return `${event.streamId}:${event.seq}`;
    case 'stream-end':
      return `${event.streamId}:end`;
    case 'queued':
      return `${event.streamId}:q${event.position}`;
  }
}

/**
 * Frame types of protocol version 1.
 *
 * A conversation is a list of messages; an assistant reply is produced as a **stream** identified by
 * `streamId`. Token batches carry `seq` = 1, 2, 3 … with no gaps and the stream ends with exactly one
 * `stream-end` whose `lastSeq` is the last token batch. Clients drop `seq ≤ lastSeen` and resume from
 * `lastSeen + 1` after any reconnect: at-least-once on the wire, exactly-once on screen.
 */
import type { Attachment } from './attachments.js';
import type { ErrorCode } from './codes.js';
import type { ConversationClientFrame, ConversationServerFrame } from './conversation-frames.js';

export const PROTOCOL_VERSION = 1;

/** Why a stream ended. `cancelled` = stopped by a user; `error` = see the frame's `error`. */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'error' | 'tool_calls';
export const FINISH_REASONS: readonly FinishReason[] = ['stop', 'length', 'cancelled', 'error', 'tool_calls'];

/** `tool`: the results of an answer's tool calls, sent back so the model continues (see `SendFrame.toolResults`). */
export type Role = 'user' | 'assistant' | 'system' | 'tool';
export const ROLES: readonly Role[] = ['user', 'assistant', 'system', 'tool'];

/** The result of one tool call, as the app produced it. */
export interface ToolResult {
  /** The call's id (`ToolCallPart.id`). */
  toolCallId: string;
  /** What the model reads: the result (often JSON text), or why it failed or was denied. */
  content: string;
  /** The call failed or was denied (the content says why). */
  isError?: boolean;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * One piece of a streamed tool call, carried in a token batch beside the text: the call's start (`id` and
 * `name`), a fragment of its arguments' JSON text (`args`), its end (`end`: the arguments are complete). Parts of
 * one call share its `index` (its position in the turn); one part may hold several of these at once.
 */
export interface ToolCallPart {
  index: number;
  id?: string;
  name?: string;
  args?: string;
  end?: boolean;
}

/** A tool call of a stored answer (its arguments as the model wrote them). */
export interface StoredToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A stored conversation message, as sent in history pages and as echoes of new user messages. */
export interface ChatMessage {
  id: string;
  role: Role;
  text: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The id the sending client chose (user messages). */
  clientMessageId?: string;
  /** The stream that produced it (assistant messages). */
  streamId?: string;
  finishReason?: FinishReason;
  /** Reasoning text, when the model produced any. */
  reasoning?: string;
  /** How long the model reasoned before answering, ms (measured by the bridge; absent without reasoning). */
  reasoningMs?: number;
  /** The tool calls the answer made (with `finishReason: 'tool_calls'`). */
  toolCalls?: StoredToolCall[];
  /** A `tool` message: the results of an answer's calls. */
  toolResults?: ToolResult[];
  /** A failed answer (`finishReason: 'error'`): why, as the user was told it live (kept for reloads). */
  errorCode?: ErrorCode;
  errorMessage?: string;
  /** A user message's files and images (see `SendFrame.attachments`). */
  attachments?: Attachment[];
  /** The message this one follows in the conversation's tree (absent for a first message). */
  parentId?: string;
  /**
   * In history pages, on a message that has siblings (other versions made by an edit or a regenerate): the ids
   * of all of them, itself included, oldest first (its position is its index here). Absent when it has none.
   */
  siblings?: string[];
}

/** A stream the server knows about when a client subscribes. */
export interface StreamState {
  streamId: string;
  /** The user message this stream answers. */
  replyTo: string;
  /** Highest seq produced so far (0 = none yet). */
  lastSeq: number;
  done: boolean;
}

// ───────────────────────────── client → server ─────────────────────────────

/** First frame on every connection. */
export interface HelloFrame {
  type: 'hello';
  /** Protocol version spoken by the client. */
  v: number;
  /** A JWT, when the token was not given on the upgrade request. */
  token?: string;
  /** Free-form client name and version, for logs. */
  client?: string;
  /**
   * The `sessionId` of this client's previous connection (any node): the relay restores its conversation
   * subscriptions before `welcome`, so live tokens flow again without waiting for re-subscribes.
   */
  session?: string;
}

/** Replaces the connection's credentials before they expire. Streams continue. */
export interface AuthFrame {
  type: 'auth';
  token: string;
}

/** A user message. The relay acknowledges it with `ack` and answers with a stream. */
export interface SendFrame {
  type: 'send';
  /** Chosen by the client before the message is stored; the relay deduplicates on it. */
  clientMessageId: string;
  conversationId: string;
  text: string;
  model?: string;
  maxTokens?: number;
  temperature?: number;
  /**
   * Edit-and-resend / regenerate: the id of a stored message this one is another version of. It becomes that
   * message's sibling (a new branch, shown from now on); the old version and what follows it stay stored as
   * another branch (see `select-branch`).
   */
  replaceFrom?: string;
  /**
   * The results of the previous answer's tool calls (with an empty `text`): stored as a `tool` message, and the
   * model continues from them. Sent like any message, so a retry is answered once (same `clientMessageId`).
   */
  toolResults?: ToolResult[];
  /**
   * Files and images the user attached, already uploaded (the frame names them by URL: `https:` or a path on the
   * relay's origin; see attachments.ts for the limits). The relay checks the sender may use them and stores them
   * with the message; the bridge hands them to the model as content parts.
   */
  attachments?: Attachment[];
  /**
   * The branch the message was written on: it follows the user message with this client message id (of the
   * same user)… Without `afterMessage`/`afterStream` (and `replaceFrom`), it follows the conversation's active
   * path. A message sent later from an outbox thereby lands on the branch it was written on.
   */
  afterMessage?: string;
  /** …or the answer of this stream (of the same conversation). */
  afterStream?: string;
}

/** Starts live delivery of a conversation's events to this connection. */
export interface SubscribeFrame {
  type: 'subscribe';
  conversationId: string;
  /**
   * The `grant` of an earlier `subscribed` for this conversation: the relay then checks ownership with its own
   * signature instead of a Store read (one less read per conversation when many clients come back at once). An
   * invalid or expired one is no error: the relay checks the Store as without it.
   */
  grant?: string;
}

export interface UnsubscribeFrame {
  type: 'unsubscribe';
  conversationId: string;
}

/**
 * Asks for a stream's token batches from `fromSeq` on (and its end, if it has ended). `fromSeq` 1 (or 0)
 * includes the `stream-start`. The conversation id lets any relay node authorise the request without a lookup.
 */
export interface ResumeFrame {
  type: 'resume';
  conversationId: string;
  streamId: string;
  fromSeq: number;
}

/** Stops a stream; the relay cancels generation all the way to the inference server. */
export interface StopFrame {
  type: 'stop';
  conversationId: string;
  streamId: string;
}

/** Asks for a page of a conversation's stored messages, newest first, older than `before`. */
export interface HistoryFrame {
  type: 'history';
  conversationId: string;
  before?: string;
  limit?: number;
}

/** Heartbeat, in both directions; answered with `pong` carrying the same `ts`. */
export interface PingFrame {
  type: 'ping';
  ts: number;
}

export interface PongFrame {
  type: 'pong';
  ts: number;
}

export type ClientFrame =
  | HelloFrame
  | AuthFrame
  | SendFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | ResumeFrame
  | StopFrame
  | HistoryFrame
  | PingFrame
  | PongFrame
  | ConversationClientFrame;

// ───────────────────────────── server → client ─────────────────────────────

/** Answer to `hello`: the connection is authenticated and ready. */
export interface WelcomeFrame {
  type: 'welcome';
  v: number;
  sessionId: string;
  userId: string;
  /** The server pings at this interval and expects traffic at least every two intervals. */
  heartbeatMs: number;
  /** Largest frame the server accepts. */
  maxFrameBytes: number;
  /** Longest user message the server accepts. */
  maxTextChars: number;
  /** When the connection's credentials expire (ms since epoch); refresh with `auth` before then. */
  tokenExpiresAt?: number;
  /** Conversations re-subscribed from the previous session named in `hello.session`. */
  restored?: string[];
}

/** The user message was accepted (or had been accepted before: `duplicate`). */
export interface AckFrame {
  type: 'ack';
  clientMessageId: string;
  conversationId: string;
  /** Server id of the stored user message. */
  messageId: string;
  /** The stream that will carry the answer. */
  streamId: string;
  /**
   * The message had been accepted before (a resend after a lost ack, maybe on another relay): its answer may
   * be running or over, and this socket follows it only from its next start, so the client resumes it from its
   * last seq + 1.
   */
  duplicate: boolean;
}

/** A message added to a conversation by someone else (e.g. the same user's other tab). */
export interface MessageFrame {
  type: 'message';
  conversationId: string;
  message: ChatMessage;
}

export interface StreamStartFrame {
  type: 'stream-start';
  streamId: string;
  conversationId: string;
  /** Server id of the user message being answered. */
  replyTo: string;
  model: string;
  createdAt: number;
}

/**
 * A batch of generated text. `text` may hold many tokens; `seq` counts batches, not tokens.
 *
 * Under backpressure a relay coalesces consecutive batches of one stream that a socket has not been sent yet
 * into one frame: it then covers `firstSeq..seq` (and `firstSeq` is absent when it covers `seq` alone). A
 * client holding `lastSeen` appends a frame when `(firstSeq ?? seq) = lastSeen + 1`, drops it when
 * `seq ≤ lastSeen`, and otherwise (a gap, or a partial overlap) resumes from `lastSeen + 1` — the seq rule,
 * written once in seq.ts (`classifyBatch`).
 */
export interface TokenFrame {
  type: 'token';
  streamId: string;
  seq: number;
  text: string;
  reasoning?: string;
  firstSeq?: number;
  /** Tool-call parts of this batch, in order (see ToolCallPart). */
  tools?: ToolCallPart[];
}

export interface StreamEndFrame {
  type: 'stream-end';
  streamId: string;
  conversationId: string;
  /** Seq of the last token batch (0 if none): a client holding fewer must resume. */
  lastSeq: number;
  finishReason: FinishReason;
  usage?: Usage;
  errorCode?: ErrorCode;
  errorMessage?: string;
  /** How long the model reasoned: from its first reasoning delta to its first answer delta (or the end), ms. */
  reasoningMs?: number;
}

/** The request waits for capacity; `position` 1 is next. */
export interface QueuedFrame {
  type: 'queued';
  streamId: string;
  position: number;
}

export interface SubscribedFrame {
  type: 'subscribed';
  conversationId: string;
  /** Streams of this conversation that are running or recently ended, to resume. */
  streams: StreamState[];
  /** Opaque, time-limited proof of ownership to send with the next `subscribe` to this conversation. */
  grant?: string;
}

export interface HistoryPageFrame {
  type: 'history-page';
  conversationId: string;
  /** Oldest first. */
  messages: ChatMessage[];
  /** Pass as `before` to get the previous page; absent when there is none. */
  cursor?: string;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The client message id, stream id or conversation id the error is about. */
  ref?: string;
  retryAfterMs?: number;
}

/** The server is draining: reconnect (to any node) after `reconnectAfterMs`. */
export interface GoAwayFrame {
  type: 'go-away';
  reason: string;
  reconnectAfterMs: number;
}

/** Credentials expire soon: send `auth` with a fresh token. */
export interface AuthExpiringFrame {
  type: 'auth-expiring';
  expiresAt: number;
}

export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | MessageFrame
  | StreamStartFrame
  | TokenFrame
  | StreamEndFrame
  | QueuedFrame
  | SubscribedFrame
  | HistoryPageFrame
  | ErrorFrame
  | GoAwayFrame
  | AuthExpiringFrame
  | PingFrame
  | PongFrame
  | ConversationServerFrame;

/** Frames that belong to a stream, in the order a client sees them. */
export type StreamFrame = StreamStartFrame | TokenFrame | StreamEndFrame | QueuedFrame;

export type Frame = ClientFrame | ServerFrame;
export type FrameType = Frame['type'];
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;

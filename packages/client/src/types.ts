/**
 * The client's view of conversations, as components render them.
 */
import type { Attachment, ErrorCode, FinishReason, Role, ToolCallState, ToolResult } from '@locallightchat/protocol';

export type MessageStatus =
  /** Stored locally, not yet acknowledged by the relay (offline, or in flight). */
  | 'pending'
  /** Acknowledged (user messages), or a finished answer. */
  | 'done'
  /** Answer waiting for capacity (see `queuePosition`). */
  | 'queued'
  /** Answer being generated. */
  | 'streaming'
  /** Answer stopped by the user. */
  | 'stopped'
  /** Failed (see `error`). */
  | 'error';

/**
 * Whether the relay is producing this answer (queued or streaming): it can be stopped, and a new connection
 * resumes it. A user message is never live.
 */
export function isLive(status: MessageStatus): boolean {
  return status === 'queued' || status === 'streaming';
}

/** Whether a message is final (done, stopped or failed): nothing about it changes any more. */
export function isSettled(status: MessageStatus): boolean {
  return status === 'done' || status === 'stopped' || status === 'error';
}

export interface ClientMessage {
  /** Stable key: the client message id for user messages, the stream id for answers. */
  key: string;
  /** Server message id, once known. */
  id?: string;
  role: Role;
  text: string;
  reasoning: string;
  /**
   * Tool calls of the answer as they stream (start, argument fragments, end), in index order; a new array
   * whenever one changes. From history: complete.
   */
  toolCalls?: ToolCallState[];
  /** A `tool` message: the results sent back for an answer's calls. */
  toolResults?: ToolResult[];
  /** A user message's files and images (while they upload: a local preview URL and their progress). */
  attachments?: ClientAttachment[];
  /** How long the model reasoned, ms (from the stream's end or the stored message; absent until known). */
  reasoningMs?: number;
  createdAt: number;
  status: MessageStatus;
  clientMessageId?: string;
  streamId?: string;
  /** Server id of the user message an answer replies to. */
  replyTo?: string;
  /** Last token batch received (answers). */
  lastSeq: number;
  finishReason?: FinishReason;
  queuePosition?: number;
  error?: { code: ErrorCode; message: string; retryable: boolean };
  model?: string;
  /** Shown from the device cache; not yet confirmed by the relay's history. */
  cached?: boolean;
  /** Server id of the message this one follows in the conversation's tree (absent for a first message). */
  parentId?: string;
  /**
   * The versions of this message (edits, regenerates), itself included, as server ids, oldest first: its
   * position is `siblings.indexOf(id)`. Absent when it has none. Show another with `LlcClient.selectBranch`.
   */
  siblings?: string[];
}

export interface ConversationSnapshot {
  id: string;
  messages: readonly ClientMessage[];
  /** Older history exists on the server (pass `cursor` to load it). */
  hasMore: boolean;
  cursor?: string;
  /** Whether any answer is being generated or waits. */
  busy: boolean;
  /**
   * Whether the relay's first history page has arrived since `open()` (answers still being generated are known
   * by then too): until it has, the messages may be the device cache's alone.
   */
  historyLoaded: boolean;
}

/** Per-stream latency figures. */
export interface StreamMetrics {
  streamId: string;
  conversationId: string;
  /** Time to first token: from send (or from stream start when the send is not ours) to the first batch, ms. */
  ttftMs?: number;
  /** Time per output token after the first, ms (needs the usage at the end). */
  tpotMs?: number;
  completionTokens?: number;
  /** Token batches received. */
  batches: number;
}

/** An attachment as the client shows it: uploaded, or still on the device (`pending`). */
export interface ClientAttachment extends Attachment {
  /** Not uploaded yet: `url` is a local `blob:` preview (or empty). */
  pending?: boolean;
  /** Upload progress, 0…1, while it uploads. */
  progress?: number;
  /** Why the last upload attempt failed (it is tried again on the next connection when it may work). */
  error?: string;
}

export interface SendOptions {
  model?: string;
  maxTokens?: number;
  temperature?: number;
  /**
   * A new version of this server message id (edit-and-resend, regenerate): a sibling branch, shown from now on;
   * the old version stays stored and can be shown again (`LlcClient.selectBranch`).
   */
  replaceFrom?: string;
  /**
   * Files and images: attachments already uploaded (`client.uploadAttachment`), or `File`s, which the client
   * keeps on the device and uploads (with the `presignUpload` hook) once connected, then sends the message.
   */
  attachments?: (Attachment | File)[];
}

/**
 * User-facing strings. Override any of them with `<llc-chat .strings=${{ send: 'Envoyer' }}>`.
 */
import { DEFAULT_ATTACHMENT_STRINGS, type AttachmentStrings } from './parts/attachment-strings.js';
import type { ToolCallStatus } from './renderers.js';
export interface ChatStrings extends AttachmentStrings {
  transcript: string;
  messageLabel: string;
  placeholder: string;
  send: string;
  stop: string;
  empty: string;
  you: string;
  assistant: string;
  connecting: string;
  reconnecting: string;
  reconnectingIn: (seconds: number) => string;
  offline: string;
  connected: string;
  queued: (position: number | undefined) => string;
  thinking: string;
  stopped: string;
  failed: (message: string) => string;
  pending: string;
  /** Copy button text and its accessible label. */
  copy: string;
  copyCode: string;
  copied: string;
  copyFailed: string;
  /** The control shown when the user has scrolled up while new content arrives. */
  jumpToLatest: string;
  /** Announced instead of reading a finished code block aloud. */
  codeBlock: (language: string) => string;
  /** Accessible name of a rendered Mermaid diagram (its source stays available as text). */
  diagram: string;
  /** Shown under a diagram's source when Mermaid cannot draw it. */
  diagramFailed: (message: string) => string;
  /** Announced when an answer ends: stopped or failed (the finished text itself is announced block by block). */
  answerStopped: string;
  /** Announced once when an answer starts streaming, and once when it is complete. */
  answerStarted: string;
  answerDone: string;
  answerFailed: (message: string) => string;
  /** The summary of a finished "Thinking" part, and its one announcement. */
  thoughtFor: (seconds: number) => string;
  /** The same when the duration is unknown. */
  thoughtDone: string;
  /** A tool call's accessible label. */
  toolCall: (name: string) => string;
  /** A tool call's state line. */
  toolStatus: (status: ToolCallStatus) => string;
  approve: string;
  deny: string;
  /** Announced once when a streamed tool call waits for approval. */
  toolAwaiting: (name: string) => string;
  /** The button of an image placeholder (images load only when asked, unless their origin is allowed). */
  loadImage: string;
  /** The placeholder's line naming the host the image would be fetched from. */
  imageFrom: (host: string) => string;
  /** Built-in message actions (see `actions`). */
  messageActions: string;
  /** The branch picker of a message with several versions (edits, regenerates): its group, buttons, position. */
  branches: string;
  previousBranch: string;
  nextBranch: string;
  branchPosition: (index: number, count: number) => string;
  branchShown: (index: number, count: number) => string;
  copyText: string;
  regenerate: string;
  regenerating: string;
  edit: string;
  editLabel: string;
  editSent: string;
  cancel: string;
  close: string;
  rateUp: string;
  rateDown: string;
  feedbackThanks: string;
  feedbackComment: string;
  sendComment: string;
  commentThanks: string;
  actionFailed: (message: string) => string;
  /** `<llc-conversation-list>`. */
  conversations: string;
  searchConversations: string;
  untitled: string;
  loadMore: string;
  confirmDelete: string;
  renameConversation: string;
}

const TOOL_STATUS: Record<ToolCallStatus, string> = {
  streaming: 'Preparing…',
  'awaiting-approval': 'Waiting for your approval',
  running: 'Running…',
  done: 'Done',
  error: 'Failed',
  denied: 'Denied',
};

export const DEFAULT_STRINGS: ChatStrings = {
  transcript: 'Conversation',
  messageLabel: 'Message',
  placeholder: 'Ask anything…',
  send: 'Send',
  stop: 'Stop generating',
  empty: 'Start the conversation: type a message below.',
  you: 'You',
  assistant: 'Assistant',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  reconnectingIn: (s) => `Connection lost. Reconnecting in ${s} s…`,
  offline: 'You are offline. Messages will be sent when you are back online.',
  connected: 'Connected',
  queued: (p) => (p ? `Waiting for a free model server (position ${p})…` : 'Waiting for a free model server…'),
  thinking: 'Thinking…',
  stopped: 'Stopped.',
  failed: (m) => `Failed: ${m}`,
  pending: 'Sending…',
  copy: 'Copy',
  copyCode: 'Copy code',
  copied: 'Copied',
  copyFailed: 'Copy failed',
  jumpToLatest: 'Jump to latest',
  codeBlock: (language) => (language ? `Code block, ${language}.` : 'Code block.'),
  diagram: 'Diagram',
  diagramFailed: (m) => `The diagram could not be drawn: ${m}`,
  answerStopped: 'Answer stopped.',
  answerStarted: 'The assistant is answering.',
  answerDone: 'Answer complete.',
  answerFailed: (m) => `Answer failed: ${m}`,
  thoughtFor: (s) => `Thought for ${s} s`,
  thoughtDone: 'Thought',
  toolCall: (name) => `Tool call: ${name}`,
  toolStatus: (status) => TOOL_STATUS[status],
  approve: 'Approve',
  deny: 'Deny',
  toolAwaiting: (name) => `Tool call ${name} is waiting for your approval.`,
  loadImage: 'Load image',
  imageFrom: (host) => `Image from ${host}`,
  messageActions: 'Message actions',
  branches: 'Versions',
  previousBranch: 'Previous version',
  nextBranch: 'Next version',
  branchPosition: (i, n) => `Version ${i} of ${n}`,
  branchShown: (i, n) => `Showing version ${i} of ${n}.`,
  copyText: 'Copy as text',
  regenerate: 'Regenerate',
  regenerating: 'Regenerating the answer.',
  edit: 'Edit',
  editLabel: 'Edit your message',
  editSent: 'Edited message sent.',
  cancel: 'Cancel',
  close: 'Close',
  rateUp: 'Good answer',
  rateDown: 'Bad answer',
  feedbackThanks: 'Thanks for your feedback.',
  feedbackComment: 'Add a comment (optional)',
  sendComment: 'Send comment',
  commentThanks: 'Comment sent.',
  actionFailed: (m) => `That did not work: ${m}`,
  conversations: 'Your conversations',
  searchConversations: 'Search conversations',
  untitled: 'New conversation',
  loadMore: 'Load more',
  confirmDelete: 'Delete for good',
  renameConversation: 'New title',
  ...DEFAULT_ATTACHMENT_STRINGS,
};

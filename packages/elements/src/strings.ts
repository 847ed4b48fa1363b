/**
 * User-facing strings. Override any of them with `<llc-chat .strings=${{ send: 'Envoyer' }}>`.
 */
export interface ChatStrings {
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
}

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
};

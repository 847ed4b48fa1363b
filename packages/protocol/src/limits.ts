/**
 * Size limits applied when decoding untrusted frames. The defaults suit a chat product; a relay may tighten
 * or widen them (they are announced to the client in `welcome`).
 */
export interface FrameLimits {
  /** Largest encoded frame accepted, in bytes. Checked before any decoding work. */
  maxFrameBytes: number;
  /** Longest user message text, in UTF-16 code units. */
  maxTextChars: number;
}

/** What a relay accepts from clients by default. */
export const DEFAULT_CLIENT_LIMITS: FrameLimits = {
  maxFrameBytes: 128 * 1024,
  maxTextChars: 32_000,
};

/** What a client accepts from a relay by default (history pages can be large). */
export const DEFAULT_SERVER_LIMITS: FrameLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxTextChars: 4_000_000,
};

/** Hard caps that no configuration lifts: they bound work per frame. */
export const HARD_LIMITS = {
  idChars: 64,
  tokenChars: 8192,
  /** A subscription grant (`subscribe.grant`, `subscribed.grant`). */
  grantChars: 64,
  modelChars: 128,
  messageChars: 1024,
  historyPage: 200,
  resumeStreams: 64,
  /** Conversations a session remembers (and a reconnect restores). */
  sessionConversations: 256,
  /** Text in one token batch (a coalesced batch may hold many tokens). */
  batchChars: 1_000_000,
} as const;

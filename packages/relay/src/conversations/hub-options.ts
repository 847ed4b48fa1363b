/**
 * The settings of a {@link ConversationHub} (conversation-hub.ts) in the relay's options idiom (options.ts), with
 * what follows from them.
 */
import { withDefaults } from '../options.js';

/** Settings of a {@link ConversationHub}; its constructor takes a partial. */
export interface HubOptions {
  /** Token batches held per stream. */
  ringBatches: number;
  /** How long an ended stream stays resumable from memory. */
  endedRetentionMs: number;
  /**
   * How long a conversation stays subscribed after its last member left (a reconnect is often quick). Past it,
   * it stays subscribed while a stream of it runs (see {@link followSilenceMs}), so that the answer is stored.
   */
  lingerMs: number;
  /**
   * A stream that had its first token and then no event for this long is ended here with `stream-failed` (0 =
   * never): its bridge died after the first token (BRIDGE.md: nothing is retried then), and without this end the
   * user's answer would wait forever.
   */
  stallTimeoutMs: number;
}

/** The relay's defaults (`ringBatches`, `endedStreamRetentionMs`, `conversationLingerMs` in RelayConfig). */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  ringBatches: 20_000,
  endedRetentionMs: 120_000,
  lingerMs: 30_000,
  stallTimeoutMs: 60_000,
};

/** Full options from a partial (keys left out or `undefined` take their default). */
export function resolveHubOptions(partial: Partial<HubOptions> = {}): HubOptions {
  return withDefaults(DEFAULT_HUB_OPTIONS, partial);
}

/**
 * A running stream of a conversation no member holds any more is followed while it had an event within this
 * time: a stream that went silent after its first token is ended by the stall check (given time for that end to
 * arrive: twice the stall timeout), one silent before it (its request waits for a bridge) is left to the node
 * that next opens the conversation (it stores what ended meanwhile, see seed). Bounds what an abandoned
 * conversation holds.
 */
export function followSilenceMs(options: HubOptions): number {
  return 2 * (options.stallTimeoutMs > 0 ? options.stallTimeoutMs : DEFAULT_HUB_OPTIONS.stallTimeoutMs);
}

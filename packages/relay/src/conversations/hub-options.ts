/**
 * The settings of a {@link ConversationHub} (conversation-hub.ts) in the relay's options idiom (options.ts), with
 * what follows from them.
 */
import { withDefaults } from '../options.js';
import type { SettleMemoryOptions } from './settle-memory.js';

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
  /**
   * Conversations not open here whose last settle (a read storing the answers that ended unstored, see
   * settle-memory.ts) this node remembers, the least recently read forgotten first; each holds one broker
   * subscription while remembered. Default 1000: a bound on subscriptions, not a working set — a conversation
   * forgotten is read from the broker on its next read, as before this memory.
   */
  settleMemoryEntries: number;
  /**
   * The longest a settle is trusted while nothing was published in its conversation, and the longest pause
   * before an answer that came back incomplete is read again. Default 60 s: an event the watch missed (published
   * as it was put in place) keeps an ended answer unstored for at most a minute; a conversation read without
   * pause costs one broker read a minute.
   */
  settleMemoryMs: number;
  /**
   * The first pause before a conversation whose ended answer came back incomplete is read again; doubles per
   * try. Default 1 s, the writer's first rebuild pause (answer-writer.ts): a batch a JetStream leader election
   * held back arrives within seconds — and its publish is an event, which ends the pause at once.
   */
  settleRecheckMs: number;
}

/**
 * The relay's defaults (`ringBatches`, `endedStreamRetentionMs`, `conversationLingerMs`, `streamStallTimeoutMs`
 * in RelayConfig; the settle memory's are the hub's own).
 */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  ringBatches: 20_000,
  endedRetentionMs: 120_000,
  lingerMs: 30_000,
  stallTimeoutMs: 60_000,
  settleMemoryEntries: 1000,
  settleMemoryMs: 60_000,
  settleRecheckMs: 1000,
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

/** The settle memory's settings (settle-memory.ts). */
export function settleMemoryOptions(options: HubOptions): SettleMemoryOptions {
  return { entries: options.settleMemoryEntries, memoryMs: options.settleMemoryMs, recheckMs: options.settleRecheckMs };
}

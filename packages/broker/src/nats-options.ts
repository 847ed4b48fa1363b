/** The settings of a {@link NatsBroker}: what can be set, the defaults, and the rule that checks them. */
import { withDefaults } from './options.js';
import type { NatsSecurityOptions } from './nats-security.js';

/** Settings of a {@link NatsBroker}; defaults in {@link DEFAULT_NATS_BROKER_OPTIONS}. */
export interface NatsBrokerOptions {
  /** nats://host:port, or several for a cluster. */
  servers: string | string[];
  /** Connection name shown by the server (e.g. `llc-relay-1`). */
  name?: string;
  /**
   * Retention of conversation events for resume, ms (default 15 min): a tab away for less than this minus its
   * answer's age resumes exactly; past it the relay answers `resume-unavailable` and the tab reloads the history.
   * Relays and bridges both apply it to the stream: give them the same value.
   */
  eventRetentionMs?: number;
  /** Dedup window for requests and events, ms. */
  dedupWindowMs?: number;
  /**
   * How long a conversation event may wait for JetStream's acknowledgement (retried in order with backoff, e.g.
   * while an R3 stream elects a leader) before its stream fails with an explicit end, ms (default 30 s, or half
   * the dedup window when that is shorter; must be shorter than the window, so that a retry stores nothing twice).
   */
  publishDeadlineMs?: number;
  /**
   * One attempt's wait for JetStream's acknowledgement of an event before it is sent again, ms, while other acks
   * keep coming (a busy server); when none come for 1 s, or a later event's ack overtakes it, it goes sooner.
   */
  publishAckTimeoutMs?: number;
  /**
   * Replays (reads of a conversation's retained events) in flight at once on this connection; more wait their
   * turn (default 128). A relay opening thousands of conversations at once — every tab of a dead relay resuming
   * on it — would otherwise flood JetStream's API with reads that time out and are retried.
   */
  maxConcurrentReplays?: number;
  /** Redelivery deadline of an unacknowledged request, ms. */
  ackWaitMs?: number;
  /** Deliveries per request before it is dropped. */
  maxDeliver?: number;
  /** JetStream storage of events: `file` survives a NATS restart, `memory` is faster. */
  eventStorage?: 'file' | 'memory';
  /** Stream replicas in a JetStream cluster. */
  replicas?: number;
  /** Name prefix of the JetStream streams and the consumer, to share one NATS between apps. */
  prefix?: string;
  /** Notable events (reconnects, dropped malformed messages). */
  log?: (message: string, error?: unknown, fields?: Record<string, unknown>) => void;
  /** Credentials and TLS for a secured NATS (no defaults: plain, anonymous when left out). */
  security?: NatsSecurityOptions;
}

/** {@link NatsBrokerOptions} with every default filled in. */
export type NatsBrokerSettings = Required<Omit<NatsBrokerOptions, 'security'>> & Pick<NatsBrokerOptions, 'security'>;

/** The defaults of {@link NatsBrokerOptions}. */
export const DEFAULT_NATS_BROKER_OPTIONS: Required<Omit<NatsBrokerOptions, 'servers' | 'security'>> = {
  name: 'llc',
  eventRetentionMs: 15 * 60_000,
  dedupWindowMs: 120_000,
  publishDeadlineMs: 30_000,
  publishAckTimeoutMs: 10_000,
  maxConcurrentReplays: 128,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  eventStorage: 'file',
  replicas: 1,
  prefix: 'LLC',
  log: (message, error) => console.error(`[llc-broker] ${message}`, error ?? ''),
};

/** `options` over {@link DEFAULT_NATS_BROKER_OPTIONS}; a RangeError for a window, count or replica count below 1. */
export function resolveNatsBrokerOptions(options: NatsBrokerOptions): NatsBrokerSettings {
  const resolved = withDefaults(DEFAULT_NATS_BROKER_OPTIONS, options);
  for (const key of [
    'eventRetentionMs',
    'dedupWindowMs',
    'publishDeadlineMs',
    'publishAckTimeoutMs',
    'maxConcurrentReplays',
    'ackWaitMs',
    'maxDeliver',
    'replicas',
  ] as const) {
    if (!(resolved[key] >= 1)) throw new RangeError(`${key} must be ≥ 1, got ${resolved[key]}`);
  }
  const window = Math.min(resolved.dedupWindowMs, resolved.eventRetentionMs);
  // Left to its default, the deadline fits whatever window the operator chose (half of it at most): a short
  // retention (`--nats-event-retention-ms 5000`, which no CLI flag could pair with a deadline) is a setting,
  // not a start-up error. One given explicitly is checked as given.
  if (options.publishDeadlineMs === undefined)
    resolved.publishDeadlineMs = Math.max(1, Math.min(resolved.publishDeadlineMs, Math.floor(window / 2)));
  if (resolved.publishDeadlineMs >= window)
    throw new RangeError(
      `publishDeadlineMs (${resolved.publishDeadlineMs}) must be shorter than the events' dedup window (${window} ms: ` +
        'dedupWindowMs, at most eventRetentionMs), or a retried event could be stored twice',
    );
  if (resolved.security?.credsFile && resolved.security.nkeySeedFile)
    throw new RangeError('give either a creds file or an nkey seed file, not both');
  if (Boolean(resolved.security?.tlsCertFile) !== Boolean(resolved.security?.tlsKeyFile))
    throw new RangeError('a TLS client certificate needs its key, and a key its certificate');
  return resolved;
}

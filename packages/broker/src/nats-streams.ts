/**
 * The JetStream side of a {@link NatsBroker}'s setup: the names of its streams and consumer under a prefix, and
 * the streams (events for resume, the request work queue, cancellations) and the bridges' durable consumer,
 * created or brought up to date with the current settings.
 */
import { AckPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Subjects } from './messages.js';
import type { NatsBrokerSettings } from './nats-options.js';

const NS_PER_MS = 1_000_000;

/** The JetStream names a broker uses, from its prefix (several apps can share one NATS). */
export interface JetStreamNames {
  events: string;
  requests: string;
  cancels: string;
  consumer: string;
}

export function jetStreamNames(prefix: string): JetStreamNames {
  return {
    events: `${prefix}_EVENTS`,
    requests: `${prefix}_REQUESTS`,
    cancels: `${prefix}_CANCELS`,
    consumer: `${prefix.toLowerCase()}-bridges`,
  };
}

/** Creates the streams and the work-queue consumer, or updates them when they exist with older settings. */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: JetStreamNames,
  settings: NatsBrokerSettings,
): Promise<void> {
  const { dedupWindowMs, eventRetentionMs, replicas } = settings;
  const streams: (Partial<StreamConfig> & { name: string })[] = [
    {
      name: names.events,
      subjects: [Subjects.allConversations],
      retention: RetentionPolicy.Limits,
      storage: settings.eventStorage === 'memory' ? StorageType.Memory : StorageType.File,
      max_age: eventRetentionMs * NS_PER_MS,
      duplicate_window: Math.min(dedupWindowMs, eventRetentionMs) * NS_PER_MS,
      num_replicas: replicas,
    },
    {
      name: names.requests,
      subjects: [Subjects.requests],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      max_age: 60 * 60_000 * NS_PER_MS,
      duplicate_window: dedupWindowMs * NS_PER_MS,
      num_replicas: replicas,
    },
    {
      name: names.cancels,
      subjects: [Subjects.allCancels],
      retention: RetentionPolicy.Limits,
      storage: StorageType.Memory,
      max_age: dedupWindowMs * NS_PER_MS,
      duplicate_window: dedupWindowMs * NS_PER_MS,
      num_replicas: replicas,
    },
  ];
  for (const config of streams) {
    try {
      await jsm.streams.add(config);
    } catch {
      // Exists (possibly with older settings): bring it up to date.
      await jsm.streams.update(config.name, config);
    }
  }
  const consumer = {
    durable_name: names.consumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: settings.ackWaitMs * NS_PER_MS,
    max_deliver: settings.maxDeliver,
    max_ack_pending: 100_000,
  };
  try {
    await jsm.consumers.add(names.requests, consumer);
  } catch {
    await jsm.consumers.update(names.requests, names.consumer, consumer);
  }
}

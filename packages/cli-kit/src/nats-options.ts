/**
 * The NATS settings `llc-relay` and `llc-bridge` share (one table, so both commands spell them alike), and their
 * mapping onto the broker's `NatsBrokerOptions` (returned as a plain object: this layer imports no broker).
 */
import type { OptionSpecs, ParsedOptions } from './options.js';

export const NATS_OPTIONS = {
  'nats-creds': {
    type: 'string',
    env: 'LLC_NATS_CREDS',
    placeholder: 'file',
    help: 'NATS .creds file (user JWT + nkey seed) for decentralised auth',
  },
  'nats-nkey-seed': {
    type: 'string',
    env: 'LLC_NATS_NKEY_SEED',
    placeholder: 'file',
    help: 'File holding a NATS user nkey seed (SU…) for nkey auth',
  },
  'nats-tls-ca': {
    type: 'string',
    env: 'LLC_NATS_TLS_CA',
    placeholder: 'file',
    help: "CA (PEM) of the NATS servers' certificates; any --nats-tls-* turns TLS on",
  },
  'nats-tls-cert': {
    type: 'string',
    env: 'LLC_NATS_TLS_CERT',
    placeholder: 'file',
    help: 'Client certificate (PEM) for mutual TLS with NATS',
  },
  'nats-tls-key': {
    type: 'string',
    env: 'LLC_NATS_TLS_KEY',
    placeholder: 'file',
    help: 'Private key (PEM) of --nats-tls-cert',
  },
  'nats-replicas': {
    type: 'number',
    env: 'LLC_NATS_REPLICAS',
    default: 1,
    help: 'JetStream stream replicas (3 in a 3-node NATS cluster)',
  },
  'nats-event-retention-ms': {
    type: 'number',
    env: 'LLC_NATS_EVENT_RETENTION_MS',
    default: 900_000,
    help: 'How long JetStream keeps token batches for resume',
  },
  'nats-event-storage': {
    type: 'string',
    env: 'LLC_NATS_EVENT_STORAGE',
    default: 'file',
    placeholder: 'file|memory',
    help: 'JetStream storage of token batches: file survives a NATS restart, memory is faster',
  },
} satisfies OptionSpecs;

/** The subset of the broker's NatsBrokerOptions these flags set. */
export interface NatsSettings {
  replicas: number;
  eventRetentionMs: number;
  eventStorage: 'file' | 'memory';
  security?: {
    credsFile?: string;
    nkeySeedFile?: string;
    tlsCaFile?: string;
    tlsCertFile?: string;
    tlsKeyFile?: string;
  };
}

/** {@link NATS_OPTIONS} as broker options; a usage-error message (string) for a bad combination. */
export function natsSettings(o: ParsedOptions<typeof NATS_OPTIONS>): NatsSettings | string {
  const storage = o['nats-event-storage'];
  if (storage !== 'file' && storage !== 'memory')
    return `--nats-event-storage must be file or memory, got "${storage}"`;
  if (!Number.isInteger(o['nats-replicas']) || o['nats-replicas'] < 1 || o['nats-replicas'] > 5)
    return '--nats-replicas must be a whole number from 1 to 5 (JetStream allows at most 5)';
  if (!(o['nats-event-retention-ms'] >= 1000)) return '--nats-event-retention-ms must be ≥ 1000';
  if (o['nats-creds'] && o['nats-nkey-seed']) return 'give either --nats-creds or --nats-nkey-seed, not both';
  if (Boolean(o['nats-tls-cert']) !== Boolean(o['nats-tls-key']))
    return '--nats-tls-cert and --nats-tls-key go together';
  const security = Object.fromEntries(
    Object.entries({
      credsFile: o['nats-creds'],
      nkeySeedFile: o['nats-nkey-seed'],
      tlsCaFile: o['nats-tls-ca'],
      tlsCertFile: o['nats-tls-cert'],
      tlsKeyFile: o['nats-tls-key'],
    }).filter(([, v]) => v !== undefined),
  );
  return {
    replicas: o['nats-replicas'],
    eventRetentionMs: o['nats-event-retention-ms'],
    eventStorage: storage,
    ...(Object.keys(security).length ? { security } : {}),
  };
}

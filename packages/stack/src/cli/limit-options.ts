/**
 * The `llc-relay` flags of the per-user and per-address limits (issue 12): what one user may make the store keep
 * (conversations, bytes, messages — both stores), and the connection, frame and subscription limits that survive
 * reconnects (shared by every relay process through the store), and the upload endpoint's (`--upload-dir`): file
 * size, bytes held per user and upload requests per user. Defaults are the relay's own
 * (DEFAULT_CONFIG, DEFAULT_USER_QUOTAS); `limitSettings` turns the parsed flags into relay config and store
 * quotas, refusing values that would make no sense.
 */
import { CliUsageError, type OptionSpecs, type ParsedOptions } from '@locallightchat/cli-kit';
import {
  DEFAULT_CONFIG,
  DEFAULT_USER_QUOTAS,
  type RelayConfig,
  type TokenBucketPolicy,
  type UserQuotas,
} from '@locallightchat/relay';

export const LIMIT_OPTIONS = {
  'max-conversations-per-user': {
    type: 'number',
    env: 'LLC_MAX_CONVERSATIONS_PER_USER',
    default: DEFAULT_USER_QUOTAS.maxConversationsPerUser,
    help: 'Conversations one user may own; further new ones are refused (quota-exceeded), none evicted',
  },
  'max-bytes-per-user': {
    type: 'number',
    env: 'LLC_MAX_BYTES_PER_USER',
    default: DEFAULT_USER_QUOTAS.maxBytesPerUser,
    help: 'Bytes of stored messages one user may hold across conversations (quota-exceeded past it)',
  },
  'max-messages-per-user': {
    type: 'number',
    env: 'LLC_MAX_MESSAGES_PER_USER',
    default: DEFAULT_USER_QUOTAS.maxMessagesPerUser,
    help: 'Stored messages one user may hold across conversations (quota-exceeded past it)',
  },
  'max-connections-per-user': {
    type: 'number',
    env: 'LLC_MAX_CONNECTIONS_PER_USER',
    default: DEFAULT_CONFIG.maxConnectionsPerUser,
    help: 'Connections one user may hold open on one relay process; more close with 4029',
  },
  'max-connections-per-address': {
    type: 'number',
    env: 'LLC_MAX_CONNECTIONS_PER_ADDRESS',
    default: DEFAULT_CONFIG.maxConnectionsPerAddress,
    help: 'Connections one client address may hold open on one relay process (loopback is not limited); more are refused (429)',
  },
  'max-conversations-per-connection': {
    type: 'number',
    env: 'LLC_MAX_CONVERSATIONS_PER_CONNECTION',
    default: DEFAULT_CONFIG.maxConversationsPerConnection,
    help: 'Conversations one connection may follow at once',
  },
  'connect-rate-per-user': {
    type: 'number',
    env: 'LLC_CONNECT_RATE_PER_USER',
    default: DEFAULT_CONFIG.connectRatePerUser.refillPerSecond,
    help: 'New connections per second per user, shared by all relay processes (with --connect-burst-per-user)',
  },
  'connect-burst-per-user': {
    type: 'number',
    env: 'LLC_CONNECT_BURST_PER_USER',
    default: DEFAULT_CONFIG.connectRatePerUser.capacity,
    help: 'New connections one user may open at once before --connect-rate-per-user applies',
  },
  'connect-rate-per-address': {
    type: 'number',
    env: 'LLC_CONNECT_RATE_PER_ADDRESS',
    default: DEFAULT_CONFIG.connectRatePerAddress.refillPerSecond,
    help: 'New connections per second per client address, shared by all relay processes',
  },
  'connect-burst-per-address': {
    type: 'number',
    env: 'LLC_CONNECT_BURST_PER_ADDRESS',
    default: DEFAULT_CONFIG.connectRatePerAddress.capacity,
    help: 'New connections one address may open at once before --connect-rate-per-address applies',
  },
  'frame-rate-per-user': {
    type: 'number',
    env: 'LLC_FRAME_RATE_PER_USER',
    default: DEFAULT_CONFIG.frameRatePerUser.refillPerSecond,
    help: "Frames per second per user over all the user's connections and relay processes (--frame-rate is per connection)",
  },
  'frame-burst-per-user': {
    type: 'number',
    env: 'LLC_FRAME_BURST_PER_USER',
    default: DEFAULT_CONFIG.frameRatePerUser.capacity,
    help: 'Frames one user may send at once before --frame-rate-per-user applies',
  },
  'subscribe-rate-per-user': {
    type: 'number',
    env: 'LLC_SUBSCRIBE_RATE_PER_USER',
    default: DEFAULT_CONFIG.subscribeRatePerUser.refillPerSecond,
    help: 'subscribe frames per second per user, shared by all relay processes',
  },
  'subscribe-burst-per-user': {
    type: 'number',
    env: 'LLC_SUBSCRIBE_BURST_PER_USER',
    default: DEFAULT_CONFIG.subscribeRatePerUser.capacity,
    help: 'subscribe frames one user may send at once before --subscribe-rate-per-user applies',
  },
  'upload-max-bytes': {
    type: 'number',
    env: 'LLC_UPLOAD_MAX_BYTES',
    default: DEFAULT_CONFIG.uploadMaxBytes,
    help: 'With --upload-dir: largest file one upload may have (413 past it)',
  },
  'upload-max-bytes-per-user': {
    type: 'number',
    env: 'LLC_UPLOAD_MAX_BYTES_PER_USER',
    default: DEFAULT_CONFIG.uploadMaxBytesPerUser,
    help: 'With --upload-dir: bytes of files one user may hold, shared by all relay processes (413 upload-quota-exceeded past it)',
  },
  'upload-rate-per-user': {
    type: 'number',
    env: 'LLC_UPLOAD_RATE_PER_USER',
    default: DEFAULT_CONFIG.uploadRatePerUser.refillPerSecond,
    help: 'With --upload-dir: upload requests (presign or PUT) per second per user, shared by all relay processes (429 past it)',
  },
  'upload-burst-per-user': {
    type: 'number',
    env: 'LLC_UPLOAD_BURST_PER_USER',
    default: DEFAULT_CONFIG.uploadRatePerUser.capacity,
    help: 'Upload requests one user may make at once before --upload-rate-per-user applies',
  },
} satisfies OptionSpecs;

type LimitFlags = ParsedOptions<typeof LIMIT_OPTIONS>;

/** The relay config and store quotas of the limit flags; a usage error for a value that is not a whole number ≥ 1. */
export function limitSettings(o: LimitFlags): {
  relay: Pick<
    RelayConfig,
    | 'maxConnectionsPerUser'
    | 'maxConnectionsPerAddress'
    | 'maxConversationsPerConnection'
    | 'connectRatePerUser'
    | 'connectRatePerAddress'
    | 'frameRatePerUser'
    | 'subscribeRatePerUser'
    | 'uploadRatePerUser'
    | 'uploadMaxBytes'
    | 'uploadMaxBytesPerUser'
  >;
  quotas: UserQuotas;
} {
  for (const name of Object.keys(LIMIT_OPTIONS) as (keyof LimitFlags)[]) {
    const value = o[name];
    // Rates may be fractional (0.5 = one every two seconds); counts and bursts are whole.
    const whole = !name.includes('-rate-');
    if (!(value > 0) || (whole && !Number.isInteger(value)))
      throw new CliUsageError(`--${name} must be ${whole ? 'a whole number ≥ 1' : 'a number > 0'}, got ${value}`);
  }
  const bucket = (capacity: number, refillPerSecond: number): TokenBucketPolicy => ({ capacity, refillPerSecond });
  return {
    relay: {
      maxConnectionsPerUser: o['max-connections-per-user'],
      maxConnectionsPerAddress: o['max-connections-per-address'],
      maxConversationsPerConnection: o['max-conversations-per-connection'],
      connectRatePerUser: bucket(o['connect-burst-per-user'], o['connect-rate-per-user']),
      connectRatePerAddress: bucket(o['connect-burst-per-address'], o['connect-rate-per-address']),
      frameRatePerUser: bucket(o['frame-burst-per-user'], o['frame-rate-per-user']),
      subscribeRatePerUser: bucket(o['subscribe-burst-per-user'], o['subscribe-rate-per-user']),
      uploadRatePerUser: bucket(o['upload-burst-per-user'], o['upload-rate-per-user']),
      uploadMaxBytes: o['upload-max-bytes'],
      uploadMaxBytesPerUser: o['upload-max-bytes-per-user'],
    },
    quotas: {
      maxConversationsPerUser: o['max-conversations-per-user'],
      maxBytesPerUser: o['max-bytes-per-user'],
      maxMessagesPerUser: o['max-messages-per-user'],
    },
  };
}

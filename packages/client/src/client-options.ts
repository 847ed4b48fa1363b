/**
 * The options of `LlcClient`, their defaults, and the errors of its calls.
 */
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { ConnectionPreference, LinkOptions } from './links/create.js';
import { DEFAULT_CLIENT_NAME, withDefaults } from './options.js';
import type { PresignUpload } from './attachments/upload.js';
import type { LocalStore } from './persistence/local-store.js';
import type { TokenProvider } from './session.js';
import type { TransportChoice, TransportFactory } from './transports/transport.js';

export interface LlcClientOptions {
  /** WebSocket URL of a relay, e.g. `wss://chat.example.com/ws`. */
  url: string;
  /**
   * Returns a token (JWT) for the relay; called before each connection and when the relay warns that the
   * current one expires (`request.reason` says why: bypass any cache for `refused` and `expiring`). Throwing
   * makes the client retry with backoff.
   */
  getToken: TokenProvider;
  /** A custom transport factory (forces the `direct` connection mode: a function cannot be shared). */
  transport?: TransportFactory;
  /**
   * The transport the connection uses: `auto` (default) = WebSocket, falling back to SSE + HTTP POST after
   * WebSocket attempts fail without ever opening; `websocket` or `sse` force one.
   */
  transportKind?: TransportChoice;
  /**
   * Where the connection lives (default `auto`): a SharedWorker shared by all tabs of the origin when the page
   * can host one, else one leader tab elected with Web Locks relaying to the others over BroadcastChannel,
   * else a socket per tab. `client.stats.mode` tells which one runs.
   */
  connection?: ConnectionPreference;
  /** URL of the shared worker script (`@locallightchat/client/shared-worker`), when you host it yourself. */
  sharedWorkerUrl?: string | URL;
  /** Reconnect delays (default 500 ms base, 30 s cap, full jitter). */
  backoff?: BackoffOptions;
  /** Connect at construction (default true). */
  autoConnect?: boolean;
  /** Sent to the relay in `hello`, for its logs (default `llc-client/0.1`). */
  clientName?: string;
  /**
   * Where the outbox and the conversation cache live: IndexedDB by default (database `llc:<storageName>`),
   * `false` for memory only, or your own {@link LocalStore}.
   */
  storage?: LocalStore | false;
  /**
   * Names the IndexedDB database and the connection shared by the tabs (e.g. per signed-in user when several
   * share an origin). Default: `url`.
   */
  storageName?: string;
  /**
   * Where attachments are uploaded: the app's hook that reserves one upload and returns its presigned URL and
   * the attachment it becomes (`relayPresign()` uses the relay's own upload endpoint). Without it, messages can
   * only carry attachments the app uploaded itself. See attachments/upload.ts.
   */
  presignUpload?: PresignUpload;
}

/** The defaults of the optional {@link LlcClientOptions} (`storageName` defaults to the `url`). */
export const DEFAULT_CLIENT_OPTIONS = {
  transportKind: 'auto',
  connection: 'auto',
  backoff: DEFAULT_BACKOFF,
  autoConnect: true,
  clientName: DEFAULT_CLIENT_NAME,
} as const satisfies Partial<LlcClientOptions>;

export type ResolvedClientOptions = LlcClientOptions &
  Required<Pick<LlcClientOptions, keyof typeof DEFAULT_CLIENT_OPTIONS | 'storageName'>>;

/** Client options with every default filled in (an option left undefined takes its default). */
export function resolveClientOptions(options: LlcClientOptions): ResolvedClientOptions {
  return withDefaults({ ...DEFAULT_CLIENT_OPTIONS, storageName: options.url }, options);
}

/** What the client's link is made from: the resolved options a worker or another tab needs, as plain data. */
export function linkOptions(resolved: ResolvedClientOptions): LinkOptions {
  // The backoff crosses to a worker or another tab as plain data: without its (test-only) random source.
  const { random: _random, ...backoff } = resolved.backoff;
  return {
    connection: resolved.connection,
    config: {
      key: resolved.storageName,
      url: resolved.url,
      clientName: resolved.clientName,
      backoff,
      transport: resolved.transportKind,
    },
    getToken: resolved.getToken,
    backoff: resolved.backoff,
    ...(resolved.transport ? { transport: resolved.transport } : {}),
    ...(resolved.sharedWorkerUrl !== undefined ? { sharedWorkerUrl: resolved.sharedWorkerUrl } : {}),
  };
}

/** A call the client cannot honour (unknown message, a message without a server id yet…). */
export class LlcClientError extends Error {
  override readonly name = 'LlcClientError';
}

/**
 * Chooses the link of a client: a SharedWorker when the page can host one, else a leader tab elected with Web
 * Locks, else a direct socket.
 *
 * The in-page links (direct, leader: the Session, the transports, the msgpack codec) are imported on demand
 * (`./in-page.js`), so a page whose SharedWorker holds the socket never loads them.
 */
import type { TokenProvider } from '../session.js';
import type { TransportFactory } from '../transports/transport.js';
import { DeferredLink } from './deferred-link.js';
import type { Link, LinkHooks, OwnerConfig } from './link.js';
import { SharedWorkerLink } from './shared-worker-link.js';
import { constructWorker, workerScriptUrl } from './worker-script-url.js';

/** `auto`: the best mode the page supports. The others force one (tests, debugging, special pages). */
export type ConnectionPreference = 'auto' | 'shared-worker' | 'leader' | 'direct';

export interface LinkOptions {
  connection: ConnectionPreference;
  config: OwnerConfig;
  getToken: TokenProvider;
  /** A custom transport forces the direct mode (a factory cannot cross to a worker or another tab). */
  transport?: TransportFactory;
  backoff?: OwnerConfig['backoff'] & { random?: () => number };
  /** Where the worker script is served, when not next to this module (self-hosting, bundlers without workers). */
  sharedWorkerUrl?: string | URL;
}

/** The shared worker's file, beside this module once built (see the Trusted Types fallback below). */
const SHARED_WORKER_FILE = './shared-worker.js';

export function createLink(options: LinkOptions, hooks: LinkHooks): Link {
  const tab = `tab_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const { config, getToken } = options;
  const direct = () =>
    new DeferredLink('direct', async () =>
      (await import('./in-page.js')).directLink(
        {
          config,
          getToken,
          ...(options.transport ? { transport: options.transport } : {}),
          ...(options.backoff ? { backoff: options.backoff } : {}),
        },
        hooks,
      ),
    );
  const canElect =
    typeof BroadcastChannel !== 'undefined' && typeof navigator !== 'undefined' && navigator.locks !== undefined;
  const leader = () =>
    canElect
      ? new DeferredLink('leader', async () => (await import('./in-page.js')).leaderLink(tab, config, hooks, getToken))
      : direct();
  let preference = options.connection;
  if (options.transport) preference = 'direct';
  if (preference === 'auto') preference = typeof SharedWorker !== 'undefined' ? 'shared-worker' : 'leader';
  switch (preference) {
    case 'direct':
      return direct();
    case 'leader':
      return leader();
    case 'shared-worker': {
      if (typeof SharedWorker === 'undefined') return leader();
      const workerOptions: WorkerOptions = { type: 'module', name: 'llc-client' };
      const createWorker = (): SharedWorker => {
        if (options.sharedWorkerUrl !== undefined)
          return new SharedWorker(workerScriptUrl(options.sharedWorkerUrl), workerOptions);
        return constructWorker(
          // Literal form (options too: vite reads them), so bundlers (vite, webpack 5, parcel) emit the worker
          // script with the app.
          () =>
            new SharedWorker(new URL('./shared-worker.js', import.meta.url), { type: 'module', name: 'llc-client' }),
          // Under Trusted Types: the same file next to this module (where the single-file bundle and the unbundled
          // package have it), made trusted. A variable path, so bundlers leave this one alone.
          () => new SharedWorker(workerScriptUrl(new URL(SHARED_WORKER_FILE, import.meta.url)), workerOptions),
        );
      };
      return new SharedWorkerLink(tab, config, hooks, getToken, createWorker, leader);
    }
  }
}

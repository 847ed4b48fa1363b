/**
 * The links whose socket lives in this page: a direct connection, or a leader tab's (with its followers).
 * Everything the page needs only to hold a socket itself — the Session, the WebSocket and SSE transports, the
 * msgpack codec — is reached from here alone, so `create.ts` imports this module on demand: a page whose
 * SharedWorker holds the socket never loads it (in the CDN bundle it is a chunk of its own).
 */
import { Session, type SessionOptions } from '../session.js';
import { transportFor } from '../transports/select.js';
import type { TransportFactory } from '../transports/transport.js';
import { LeaderLink } from './leader-link.js';
import type { ConnectionMode, Link, LinkHooks, OwnerConfig } from './link.js';
import type { TokenProvider } from '../session.js';

class DirectLink extends Session implements Link {
  readonly mode: ConnectionMode = 'direct';
}

export interface DirectLinkOptions {
  config: OwnerConfig;
  getToken: TokenProvider;
  transport?: TransportFactory;
  backoff?: SessionOptions['backoff'];
}

/** A socket of this tab's own. */
export function directLink(options: DirectLinkOptions, hooks: LinkHooks): Link {
  const { config } = options;
  return new DirectLink(
    {
      url: config.url,
      getToken: options.getToken,
      transport: options.transport ?? transportFor(config.transport),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(config.clientName ? { clientName: config.clientName } : {}),
    },
    hooks,
  );
}

/** One socket for the tabs of the origin, held by the tab that wins the Web Lock. */
export function leaderLink(tab: string, config: OwnerConfig, hooks: LinkHooks, getToken: TokenProvider): Link {
  return new LeaderLink(tab, config, hooks, getToken);
}

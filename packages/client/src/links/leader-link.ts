/**
 * Leader election across tabs without a SharedWorker: every tab queues for one Web Lock; the holder is the
 * leader and owns the socket, the others are followers that reach it over a BroadcastChannel. The browser
 * releases the lock when the leader's tab closes (or crashes), and the next tab in the queue takes over: it
 * opens its own socket, and every tab resyncs and resumes from its own last seq — nothing is lost.
 */
import type { ClientFrame } from '@locallightchat/protocol';
import type { TokenProvider } from '../session.js';
import { ConnectionOwner } from './owner.js';
import { RemoteLink } from './remote-link.js';
import {
  isOwnerMessage,
  isTabMessage,
  type ConnectionMode,
  type Link,
  type LinkHooks,
  type OwnerConfig,
  type OwnerMessage,
} from './link.js';

export class LeaderLink implements Link {
  #channel?: BroadcastChannel;
  #link?: RemoteLink;
  #owner?: ConnectionOwner;
  #releaseLock?: () => void;
  #abort?: AbortController;
  #currentMode: ConnectionMode = 'follower';
  readonly #tab: string;
  readonly #config: OwnerConfig;
  readonly #hooks: LinkHooks;
  readonly #getToken: TokenProvider;

  constructor(tab: string, config: OwnerConfig, hooks: LinkHooks, getToken: TokenProvider) {
    this.#tab = tab;
    this.#config = config;
    this.#hooks = hooks;
    this.#getToken = getToken;
  }

  get mode(): ConnectionMode {
    return this.#currentMode;
  }

  start(): void {
    if (this.#channel) return;
    const channel = (this.#channel = new BroadcastChannel(`llc-link:${this.#config.key}`));
    channel.onmessage = (event: MessageEvent) => this.#onChannel(event.data);
    this.#link = new RemoteLink(
      'follower',
      this.#tab,
      this.#config,
      (m) => channel.postMessage(m),
      this.#hooks,
      this.#getToken,
    );
    this.#link.start();
    const abort = (this.#abort = new AbortController());
    navigator.locks
      .request(`llc-leader:${this.#config.key}`, { signal: abort.signal }, () => {
        this.#lead();
        return new Promise<void>((resolve) => (this.#releaseLock = resolve));
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) console.warn('[llc-client] leader election failed', error);
      });
  }

  stop(): void {
    const channel = this.#channel;
    if (!channel) return;
    this.#channel = undefined;
    this.#abort?.abort();
    this.#link?.stop();
    this.#link = undefined;
    // The owner tells the followers to wait for the next leader before the lock passes on.
    this.#owner?.stop();
    this.#owner = undefined;
    this.#releaseLock?.();
    this.#releaseLock = undefined;
    channel.close();
  }

  send(frame: ClientFrame): boolean {
    return this.#link?.send(frame) ?? false;
  }

  reconnectNow(): void {
    this.#link?.reconnectNow();
  }

  /** This tab holds the lock: it opens the socket and serves itself and the followers. */
  #lead(): void {
    const channel = this.#channel;
    if (!channel) return this.#releaseLock?.();
    const emit = (message: OwnerMessage) => {
      channel.postMessage(message);
      this.#link?.receive(message);
    };
    const owner = (this.#owner = new ConnectionOwner(this.#config, emit, this.#getToken));
    // The follower link (to a previous leader) is replaced by a local one to our own owner.
    this.#link?.detach();
    this.#currentMode = 'leader';
    this.#hooks.onMode?.('leader');
    this.#link = new RemoteLink('leader', this.#tab, this.#config, (m) => owner.handle(m), this.#hooks, this.#getToken);
    owner.start();
    this.#link.start();
  }

  #onChannel(data: unknown): void {
    if (this.#owner) {
      if (isTabMessage(data)) this.#owner.handle(data);
    } else if (isOwnerMessage(data)) {
      this.#link?.receive(data);
    }
  }
}

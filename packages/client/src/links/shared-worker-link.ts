/**
 * A tab's link to the SharedWorker that owns the connection. If the worker cannot start (its script is
 * missing, blocked by CSP, or the browser refuses), the tab falls back to leader election.
 */
import type { ClientFrame } from '@locallightchat/protocol';
import type { TokenProvider } from '../session.js';
import { RemoteLink } from './remote-link.js';
import { isOwnerMessage, type ConnectionMode, type Link, type LinkHooks, type OwnerConfig } from './link.js';

export class SharedWorkerLink implements Link {
  private link?: RemoteLink;
  private worker?: SharedWorker;
  private fallback?: Link;
  private started = false;

  constructor(
    private readonly tab: string,
    private readonly config: OwnerConfig,
    private readonly hooks: LinkHooks,
    private readonly getToken: TokenProvider,
    private readonly createWorker: () => SharedWorker,
    private readonly makeFallback: () => Link,
  ) {}

  get mode(): ConnectionMode {
    return this.fallback?.mode ?? 'shared-worker';
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.fallback) return this.fallback.start();
    let worker: SharedWorker;
    try {
      worker = this.worker = this.createWorker();
    } catch (error) {
      return this.fallBack(error);
    }
    worker.onerror = (event) => this.fallBack(event);
    const port = worker.port;
    port.onmessage = (event: MessageEvent) => {
      if (isOwnerMessage(event.data)) this.link?.receive(event.data);
    };
    port.start();
    this.link = new RemoteLink('shared-worker', this.tab, this.config, (m) => port.postMessage(m), this.hooks, this.getToken);
    this.link.start();
    // A closing tab says goodbye so the worker stops asking it for tokens (and closes the socket after the last).
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    if (this.fallback) return this.fallback.stop();
    this.link?.stop();
    this.link = undefined;
    this.worker?.port.close();
  }

  send(frame: ClientFrame): boolean {
    return (this.fallback ?? this.link)?.send(frame) ?? false;
  }

  reconnectNow(): void {
    (this.fallback ?? this.link)?.reconnectNow();
  }

  private readonly onPageHide = () => this.link?.detach();

  private fallBack(reason: unknown): void {
    if (this.fallback) return;
    console.warn('[llc-client] the shared worker could not start; electing a leader tab instead', reason);
    this.link?.detach();
    this.link = undefined;
    this.fallback = this.makeFallback();
    this.hooks.onMode?.(this.fallback.mode);
    if (this.started) this.fallback.start();
  }
}

/**
 * A tab's link to the SharedWorker that owns the connection. If the worker cannot start (its script is
 * missing, blocked by CSP, or the browser refuses), the tab falls back to leader election.
 */
import type { ClientFrame } from '@locallightchat/protocol';
import type { TokenProvider } from '../session.js';
import { RemoteLink } from './remote-link.js';
import { isOwnerMessage, type ConnectionMode, type Link, type LinkHooks, type OwnerConfig } from './link.js';

/** How long a worker may take to answer a tab's attach before the tab elects a leader instead. */
const WORKER_ANSWER_MS = 5000;

export class SharedWorkerLink implements Link {
  #link?: RemoteLink;
  #worker?: SharedWorker;
  #fallback?: Link;
  #started = false;
  #answerTimer?: ReturnType<typeof setTimeout>;
  readonly #tab: string;
  readonly #config: OwnerConfig;
  readonly #hooks: LinkHooks;
  readonly #getToken: TokenProvider;
  readonly #createWorker: () => SharedWorker;
  readonly #makeFallback: () => Link;

  constructor(
    tab: string,
    config: OwnerConfig,
    hooks: LinkHooks,
    getToken: TokenProvider,
    createWorker: () => SharedWorker,
    makeFallback: () => Link,
  ) {
    this.#tab = tab;
    this.#config = config;
    this.#hooks = hooks;
    this.#getToken = getToken;
    this.#createWorker = createWorker;
    this.#makeFallback = makeFallback;
  }

  get mode(): ConnectionMode {
    return this.#fallback?.mode ?? 'shared-worker';
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#fallback) return this.#fallback.start();
    let worker: SharedWorker;
    try {
      worker = this.#worker = this.#createWorker();
    } catch (error) {
      return this.#fallBack(error);
    }
    worker.onerror = (event) => this.#fallBack(event);
    // A worker that failed to load earlier in this browser session may be handed out again without a new
    // `error` event: a worker that does not answer the attach in time counts as failed too.
    this.#answerTimer = setTimeout(
      () => this.#fallBack(new Error('the shared worker did not answer')),
      WORKER_ANSWER_MS,
    );
    const port = worker.port;
    port.onmessage = (event: MessageEvent) => {
      clearTimeout(this.#answerTimer);
      if (isOwnerMessage(event.data)) this.#link?.receive(event.data);
    };
    port.start();
    this.#link = new RemoteLink(
      'shared-worker',
      this.#tab,
      this.#config,
      (m) => port.postMessage(m),
      this.#hooks,
      this.#getToken,
    );
    this.#link.start();
    // A closing tab says goodbye so the worker stops asking it for tokens (and closes the socket after the last).
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
    globalThis.addEventListener?.('pageshow', this.#onPageShow);
  }

  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    globalThis.removeEventListener?.('pageshow', this.#onPageShow);
    clearTimeout(this.#answerTimer);
    if (this.#fallback) return this.#fallback.stop();
    this.#link?.stop();
    this.#link = undefined;
    this.#worker?.port.close();
  }

  send(frame: ClientFrame): boolean {
    return (this.#fallback ?? this.#link)?.send(frame) ?? false;
  }

  reconnectNow(): void {
    (this.#fallback ?? this.#link)?.reconnectNow();
  }

  readonly #onPageHide = () => this.#link?.detach();
  /** Back from the back/forward cache: attach again (the tab resyncs when it sees the connection open). */
  readonly #onPageShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) this.#link?.start();
  };

  #fallBack(reason: unknown): void {
    if (this.#fallback) return;
    clearTimeout(this.#answerTimer);
    console.warn('[llc-client] the shared worker could not start; electing a leader tab instead', reason);
    this.#link?.detach();
    this.#link = undefined;
    this.#fallback = this.#makeFallback();
    this.#hooks.onMode?.(this.#fallback.mode);
    if (this.#started) this.#fallback.start();
  }
}

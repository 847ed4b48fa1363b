/**
 * The owner of a connection shared by several tabs: one {@link Session}, its status and every server frame
 * broadcast to the tabs, the tabs' frames sent up. It runs in a SharedWorker or in the leader tab.
 *
 * Tokens come from the tabs (a worker has no token provider of its own): the owner asks the most recently
 * attached tab and, when it does not answer in time (closed, frozen), the next one.
 */
import {
  Session,
  type ConnectionStatus,
  type StatusDetail,
  type TokenProvider,
  type TokenRequest,
} from '../session.js';
import { transportFor } from '../transports/select.js';
import type { OwnerConfig, OwnerMessage, TabMessage } from './link.js';

const TOKEN_TIMEOUT_MS = 10_000;

export class ConnectionOwner {
  readonly #session: Session;
  readonly #tabs: string[] = [];
  readonly #pendingTokens = new Map<number, { resolve(token: string): void; reject(error: Error): void }>();
  #nextTokenId = 1;
  #state: Extract<OwnerMessage, { t: 'state' }> = { t: 'state', status: 'idle', detail: {} };
  #stopped = false;
  readonly #emit: (message: OwnerMessage) => void;

  constructor(
    readonly config: OwnerConfig,
    /** Delivers a message to the tabs (to the one named in `to`, when present). */
    emit: (message: OwnerMessage) => void,
    /** The leader tab's own provider; without it, tokens are asked from the tabs. */
    getToken?: TokenProvider,
  ) {
    this.#emit = emit;
    this.#session = new Session(
      {
        url: config.url,
        getToken: getToken ?? ((request) => this.#tokenFromTabs(request)),
        transport: transportFor(config.transport),
        ...(config.backoff ? { backoff: config.backoff } : {}),
        ...(config.clientName ? { clientName: config.clientName } : {}),
      },
      {
        onStatus: (status, detail) => this.#onStatus(status, detail),
        onWelcome: () => undefined,
        onFrame: (frame) => this.#emit({ t: 'down', frame }),
        // Every tab resyncs itself when it sees `open`.
        resyncFrames: () => [],
      },
    );
  }

  get tabCount(): number {
    return this.#tabs.length;
  }

  get started(): boolean {
    return this.#session.connectionStatus !== 'idle';
  }

  start(): void {
    this.#session.start();
  }

  /** Closes the socket; tabs are told to wait for the next owner. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#session.stop();
    for (const p of this.#pendingTokens.values()) p.reject(new Error('connection owner stopped'));
    this.#pendingTokens.clear();
    this.#emit({ t: 'state', status: 'reconnecting', detail: { reason: 'the tab holding the connection left' } });
  }

  /** A message from a tab. */
  handle(message: TabMessage): void {
    switch (message.t) {
      case 'attach':
        this.#remove(message.tab);
        this.#tabs.push(message.tab);
        this.#emit({ ...this.#state, to: message.tab });
        return;
      case 'detach':
        this.#remove(message.tab);
        return;
      case 'up':
        this.#session.send(message.frame);
        return;
      case 'reconnect':
        this.#session.reconnectNow();
        return;
      case 'token': {
        const pending = this.#pendingTokens.get(message.id);
        this.#pendingTokens.delete(message.id);
        if (message.token !== undefined) pending?.resolve(message.token);
        else pending?.reject(new Error(message.error ?? 'the tab could not get a token'));
        return;
      }
    }
  }

  #onStatus(status: ConnectionStatus, detail: StatusDetail): void {
    if (this.#stopped) return;
    const welcome = status === 'open' ? this.#session.serverInfo : undefined;
    this.#state = { t: 'state', status, detail, ...(welcome ? { welcome } : {}) };
    this.#emit(this.#state);
  }

  #remove(tab: string): void {
    const i = this.#tabs.indexOf(tab);
    if (i >= 0) this.#tabs.splice(i, 1);
  }

  async #tokenFromTabs(request?: TokenRequest): Promise<string> {
    let lastError: Error = new Error('no tab is attached to provide a token');
    // Newest first: the tab that attached last is the most likely to be alive and in the foreground.
    for (const tab of [...this.#tabs].reverse()) {
      try {
        return await this.#askTab(tab, request);
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    throw lastError;
  }

  #askTab(tab: string, request?: TokenRequest): Promise<string> {
    const id = this.#nextTokenId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingTokens.delete(id);
        reject(new Error(`tab ${tab} did not answer a token request`));
      }, TOKEN_TIMEOUT_MS);
      this.#pendingTokens.set(id, {
        resolve: (token) => (clearTimeout(timer), resolve(token)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.#emit({ t: 'token?', id, to: tab, ...(request ? { reason: request.reason } : {}) });
    });
  }
}

/**
 * A tab's end of a shared connection: it forwards frames to the owner and turns the owner's messages back
 * into the session hooks a direct link would call, resyncing the tab after every (re)connect.
 */
import type { ClientFrame } from '@locallightchat/protocol';
import type { ConnectionStatus, TokenProvider, TokenRequest } from '../session.js';
import type { ConnectionMode, Link, LinkHooks, OwnerConfig, OwnerMessage, TabMessage } from './link.js';

export class RemoteLink implements Link {
  #status: ConnectionStatus = 'idle';
  #sessionId?: string;
  #stopped = true;
  readonly #tab: string;
  readonly #config: OwnerConfig;
  readonly #post: (message: TabMessage) => void;
  readonly #hooks: LinkHooks;
  readonly #getToken: TokenProvider;

  constructor(
    readonly mode: ConnectionMode,
    tab: string,
    config: OwnerConfig,
    post: (message: TabMessage) => void,
    hooks: LinkHooks,
    getToken: TokenProvider,
  ) {
    this.#tab = tab;
    this.#config = config;
    this.#post = post;
    this.#hooks = hooks;
    this.#getToken = getToken;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#post({ t: 'attach', tab: this.#tab, config: this.#config });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#post({ t: 'detach', tab: this.#tab });
    this.#status = 'closed';
    this.#hooks.onStatus('closed', {});
  }

  /** Stops without telling the tab (the tab goes on over another link). */
  detach(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // Frames are missed from now on: attaching again must resync, even to the same connection.
    this.#sessionId = undefined;
    this.#post({ t: 'detach', tab: this.#tab });
  }

  send(frame: ClientFrame): boolean {
    if (this.#stopped || this.#status !== 'open') return false;
    this.#post({ t: 'up', tab: this.#tab, frame });
    return true;
  }

  reconnectNow(): void {
    if (!this.#stopped) this.#post({ t: 'reconnect', tab: this.#tab });
  }

  /** A message from the owner (ignored when addressed to another tab). */
  receive(message: OwnerMessage): void {
    if (this.#stopped) return;
    if ('to' in message && message.to !== undefined && message.to !== this.#tab) return;
    switch (message.t) {
      case 'down':
        return this.#hooks.onFrame(message.frame);
      case 'token?':
        void this.#answerToken(message.id, message.reason);
        return;
      case 'state': {
        const reopened = message.status === 'open' && message.welcome && message.welcome.sessionId !== this.#sessionId;
        this.#status = message.status;
        if (message.status !== 'open') this.#sessionId = undefined;
        this.#hooks.onStatus(message.status, message.detail);
        if (reopened && message.welcome) {
          this.#sessionId = message.welcome.sessionId;
          this.#hooks.onWelcome(message.welcome);
          for (const frame of this.#hooks.resyncFrames()) this.#post({ t: 'up', tab: this.#tab, frame });
        }
        return;
      }
    }
  }

  async #answerToken(id: number, reason: TokenRequest['reason'] | undefined): Promise<void> {
    try {
      this.#post({ t: 'token', tab: this.#tab, id, token: await this.#getToken(reason ? { reason } : undefined) });
    } catch (error) {
      this.#post({ t: 'token', tab: this.#tab, id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

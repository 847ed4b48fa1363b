/**
 * Keeps a host element in sync with one conversation of an LlcClient: it opens the conversation, listens for
 * changes and asks the host to render at most once per animation frame.
 */
import type { ConversationSnapshot, LlcClient, LlcClientEventMap } from '@locallightchat/client';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { FrameScheduler } from './frame-scheduler.js';

export class ConversationController implements ReactiveController {
  #client?: LlcClient;
  #conversationId?: string;
  readonly #frame: FrameScheduler;
  readonly #onConversation = (event: LlcClientEventMap['conversation']) => {
    if (event.detail.conversationId === this.#conversationId) this.#frame.schedule();
  };
  readonly #host: ReactiveControllerHost;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
    this.#frame = new FrameScheduler(() => host.requestUpdate());
  }

  /** Points the controller at a client and conversation (either may change over the host's life). */
  set(client: LlcClient | undefined, conversationId: string | undefined): void {
    if (client === this.#client && conversationId === this.#conversationId) return;
    this.#client?.removeEventListener('conversation', this.#onConversation);
    this.#client = client;
    this.#conversationId = conversationId;
    if (client && conversationId) {
      client.addEventListener('conversation', this.#onConversation);
      client.open(conversationId);
    }
    this.#host.requestUpdate();
  }

  get snapshot(): ConversationSnapshot | undefined {
    return this.#client && this.#conversationId ? this.#client.snapshot(this.#conversationId) : undefined;
  }

  hostConnected(): void {
    if (this.#client && this.#conversationId) this.#client.addEventListener('conversation', this.#onConversation);
  }

  hostDisconnected(): void {
    this.#client?.removeEventListener('conversation', this.#onConversation);
    this.#frame.cancel();
  }
}

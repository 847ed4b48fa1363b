import { consume } from '@lit/context';
import type { ConnectionStatus, LlcClient, LlcClientEventMap } from '@locallightchat/client';
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';
import { ConversationController } from './controllers/conversation-controller.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * Status, in a polite `role="status"` region: the connection first (connecting, reconnecting with the
 * countdown's start, offline), else the state of the latest answer when it needs saying (queued with its
 * position, stopped, failed). Empty otherwise, so a screen reader hears only changes that matter.
 *
 * @csspart status - the status line
 */
@customElement('llc-status')
export class LlcStatus extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .status {
      font-size: 0.85rem;
      padding: 0 1rem;
      min-height: 1.25rem;
      color: var(--llc-status-fg, #475569);
    }
    .status:empty {
      min-height: 1.25rem;
    }
  `;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true }) @property({ attribute: false }) conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;
  @state() private status: ConnectionStatus = 'idle';
  @state() private retryInMs?: number;
  private listening?: LlcClient;
  private readonly onStatus = ({ detail }: LlcClientEventMap['status']) => {
    this.status = detail.status;
    this.retryInMs = detail.retryInMs;
  };

  private readonly conversation = new ConversationController(this);

  override willUpdate(): void {
    this.conversation.set(this.client, this.conversationId);
    if (this.listening === this.client) return;
    this.listening?.removeEventListener('status', this.onStatus);
    this.listening = this.client;
    this.client?.addEventListener('status', this.onStatus);
    if (this.client) this.status = this.client.connectionStatus;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listening?.removeEventListener('status', this.onStatus);
    this.listening = undefined;
  }

  override render() {
    return html`<div class="status" part="status" role="status" aria-live="polite">${this.text()}</div>`;
  }

  private text(): string {
    const s = this.strings;
    switch (this.status) {
      case 'connecting':
        return s.connecting;
      case 'reconnecting':
        return this.retryInMs && this.retryInMs >= 1000
          ? s.reconnectingIn(Math.round(this.retryInMs / 1000))
          : s.reconnecting;
      case 'offline':
        return s.offline;
      default:
        return this.answerText();
    }
  }

  private answerText(): string {
    const s = this.strings;
    const messages = this.conversation.snapshot?.messages ?? [];
    const last = messages[messages.length - 1];
    if (!last || last.role !== 'assistant') return '';
    if (last.status === 'queued') return s.queued(last.queuePosition);
    if (last.status === 'stopped') return s.answerStopped;
    if (last.status === 'error') return s.answerFailed(last.error?.message ?? '');
    return '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-status': LlcStatus;
  }
}

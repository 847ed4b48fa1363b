import { consume } from '@lit/context';
import type { ConnectionStatus, LlcClient } from '@locallightchat/client';
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { clientContext } from './context.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * Connection status, in a polite `role="status"` region: connecting, reconnecting (with the countdown's
 * start), offline. Empty while connected, so a screen reader hears only changes that matter.
 *
 * @csspart status - the status line
 */
@customElement('llc-status')
export class LlcStatus extends LitElement {
  static override styles = css`
    :host { display: block; }
    .status { font-size: 0.85rem; padding: 0 1rem; min-height: 1.25rem; color: var(--llc-status-fg, #475569); }
  `;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;
  @state() private status: ConnectionStatus = 'idle';
  @state() private retryInMs?: number;
  private listening?: LlcClient;
  private readonly onStatus = (event: Event) => {
    const detail = (event as CustomEvent<{ status: ConnectionStatus; retryInMs?: number }>).detail;
    this.status = detail.status;
    this.retryInMs = detail.retryInMs;
  };

  override willUpdate(): void {
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
        return this.retryInMs && this.retryInMs >= 1000 ? s.reconnectingIn(Math.round(this.retryInMs / 1000)) : s.reconnecting;
      case 'offline':
        return s.offline;
      default:
        return '';
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-status': LlcStatus;
  }
}

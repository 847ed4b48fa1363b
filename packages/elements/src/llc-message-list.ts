import { consume } from '@lit/context';
import type { LlcClient } from '@locallightchat/client';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { clientContext, conversationContext } from './context.js';
import { ConversationController } from './controllers/conversation-controller.js';
import './llc-message.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * The transcript (`role="log"`). It follows the bottom while the user is there and stays put when they
 * scroll up to read.
 *
 * @csspart log - the scrolling transcript
 * @slot empty - shown while the conversation has no messages
 */
@customElement('llc-message-list')
export class LlcMessageList extends LitElement {
  static override styles = css`
    :host { display: block; min-height: 0; }
    .log { height: 100%; overflow-y: auto; padding: 1rem; box-sizing: border-box; display: flex; flex-direction: column; gap: 0.75rem; }
    .empty { opacity: 0.6; margin: auto; text-align: center; }
  `;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true }) @property({ attribute: false }) conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;

  private readonly conversation = new ConversationController(this);
  private stickToBottom = true;

  override willUpdate(): void {
    this.conversation.set(this.client, this.conversationId);
  }

  override render() {
    const messages = this.conversation.snapshot?.messages ?? [];
    return html`<div class="log" part="log" role="log" aria-label=${this.strings.transcript} tabindex="0" @scroll=${this.onScroll}>
      ${messages.length === 0
        ? html`<div class="empty"><slot name="empty">${this.strings.empty}</slot></div>`
        : repeat(
            messages,
            (m) => m.key,
            (m) => html`<llc-message
              role-name=${m.role}
              .text=${m.text}
              .status=${m.status}
              .errorMessage=${m.error?.message}
              .queuePosition=${m.queuePosition}
              .strings=${this.strings}
              data-key=${m.key}
            ></llc-message>`,
          )}
    </div>`;
  }

  override updated(): void {
    if (!this.stickToBottom) return;
    const log = this.renderRoot.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  private onScroll(event: Event): void {
    const log = event.currentTarget as HTMLElement;
    this.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-message-list': LlcMessageList;
  }
}

import { consume } from '@lit/context';
import { isSettled, type LlcClient } from '@locallightchat/client';
import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';
import { ConversationController } from './controllers/conversation-controller.js';
import { fire } from './events.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * The message box. Enter sends, Shift+Enter adds a line, Escape stops the running answer. Sending fires a
 * cancelable `llc-send` event first, so an app can intercept or decorate messages.
 *
 * @csspart form - the form
 * @csspart input - the textbox
 * @csspart send-button - the Send button
 * @csspart stop-button - the Stop generating button
 * @fires {CustomEvent<SendEventDetail>} llc-send - before a message is sent (cancelable)
 * @fires {CustomEvent<StopEventDetail>} llc-stop - when the user stops an answer
 */
@customElement('llc-composer')
export class LlcComposer extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    form {
      display: flex;
      gap: 0.5rem;
      align-items: flex-end;
      padding: 0.75rem;
      border-top: 1px solid var(--llc-border, #e2e8f0);
    }
    textarea {
      flex: 1;
      resize: none;
      font: inherit;
      /* 16 px or more: phones zoom the page into a smaller focused field (iOS Safari) and stay zoomed. */
      font-size: max(16px, 1em);
      padding: 0.6rem 0.75rem;
      border-radius: var(--llc-radius, 12px);
      border: 1px solid var(--llc-border, #cbd5e1);
      background: var(--llc-input-bg, #fff);
      color: inherit;
      max-height: 12rem;
    }
    button {
      font: inherit;
      padding: 0.6rem 1rem;
      border-radius: var(--llc-radius, 12px);
      border: 0;
      cursor: pointer;
      background: var(--llc-accent, #4338ca);
      color: var(--llc-accent-fg, #fff);
    }
    @media (pointer: coarse) {
      textarea,
      button {
        min-height: 44px;
        min-width: 44px;
      }
    }
    button.stop {
      background: var(--llc-stop-bg, #e2e8f0);
      color: var(--llc-stop-fg, #0f172a);
    }
    button:disabled {
      cursor: default;
      background: var(--llc-stop-bg, #e2e8f0);
      color: var(--llc-muted, #475569);
    }
    textarea:focus-visible,
    button:focus-visible {
      outline: 2px solid var(--llc-focus, #2563eb);
      outline-offset: 2px;
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
  `;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true }) @property({ attribute: false }) conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;
  @state() private value = '';
  @query('textarea') private textarea?: HTMLTextAreaElement;

  private readonly conversation = new ConversationController(this);

  override willUpdate(): void {
    this.conversation.set(this.client, this.conversationId);
  }

  /** The answer currently being generated, if any. */
  private get runningStream(): string | undefined {
    const messages = this.conversation.snapshot?.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.role === 'assistant' && m.streamId && !isSettled(m.status)) return m.streamId;
    }
    return undefined;
  }

  override render() {
    const running = this.runningStream;
    const s = this.strings;
    return html`<form part="form" @submit=${this.onSubmit}>
      <label class="visually-hidden" for="input">${s.messageLabel}</label>
      <textarea
        id="input"
        part="input"
        rows="1"
        placeholder=${s.placeholder}
        aria-label=${s.messageLabel}
        .value=${this.value}
        @input=${this.onInput}
        @keydown=${this.onKeyDown}
      ></textarea>
      ${
        running
          ? html`<button type="button" class="stop" part="stop-button" @click=${() => this.stop()}>${s.stop}</button>`
          : html`<button type="submit" part="send-button" ?disabled=${!this.value.trim()}>${s.send}</button>`
      }
    </form>`;
  }

  /** Sends the current text (same as pressing Enter). */
  send(): void {
    const text = this.value.trim();
    if (!text || !this.client || !this.conversationId) return;
    if (!fire(this, 'llc-send', { conversationId: this.conversationId, text }, true)) return;
    this.client.send(this.conversationId, text);
    this.value = '';
  }

  /** Stops the running answer, if any; returns whether there was one. */
  stop(): boolean {
    const streamId = this.runningStream;
    if (!streamId || !this.client || !this.conversationId) return false;
    this.client.stop(this.conversationId, streamId);
    fire(this, 'llc-stop', { streamId });
    return true;
  }

  override focus(): void {
    this.textarea?.focus();
  }

  private onInput(event: Event): void {
    const area = event.target as HTMLTextAreaElement;
    this.value = area.value;
    area.style.height = 'auto';
    area.style.height = `${area.scrollHeight}px`;
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    } else if (event.key === 'Escape') {
      if (this.stop()) event.preventDefault();
    }
  }

  private onSubmit(event: Event): void {
    event.preventDefault();
    this.send();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-composer': LlcComposer;
  }
}

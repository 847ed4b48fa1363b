import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { MessageStatus } from '@locallightchat/client';
import type { Role } from '@locallightchat/protocol';
import { renderMarkdown } from './markdown/render-markdown.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/**
 * One message of the transcript. Assistant answers render as sanitised markdown; user messages as plain
 * text. While an answer streams, the article is `aria-busy="true"` so screen readers wait for it.
 *
 * @csspart message - the article
 * @csspart author - the author line
 * @csspart content - the message body
 * @csspart status - status line (queued, stopped, failed)
 * @slot actions - per-message actions (copy, regenerate…)
 */
@customElement('llc-message')
export class LlcMessage extends LitElement {
  static override styles = css`
    :host { display: block; }
    article { padding: var(--llc-message-padding, 0.75rem 1rem); border-radius: var(--llc-radius, 12px); max-width: 100%; }
    :host([role-name='user']) article { background: var(--llc-user-bg, #eef2ff); color: var(--llc-user-fg, inherit); margin-inline-start: 15%; }
    :host([role-name='assistant']) article { background: var(--llc-assistant-bg, transparent); color: var(--llc-assistant-fg, inherit); }
    .author { font-size: 0.75rem; font-weight: 600; opacity: 0.7; margin-bottom: 0.25rem; }
    .content { line-height: 1.55; overflow-wrap: anywhere; }
    .plain { white-space: pre-wrap; }
    .content pre { background: var(--llc-code-bg, #0f172a); color: var(--llc-code-fg, #e2e8f0); padding: 0.75rem; border-radius: 8px; overflow-x: auto; }
    .content code { font-family: var(--llc-mono, ui-monospace, SFMono-Regular, Menlo, monospace); font-size: 0.9em; }
    .content table { border-collapse: collapse; display: block; overflow-x: auto; }
    .content th, .content td { border: 1px solid var(--llc-border, #cbd5e1); padding: 0.25rem 0.5rem; }
    .content a { color: var(--llc-link, #2563eb); }
    .status { font-size: 0.8rem; opacity: 0.75; margin-top: 0.25rem; }
    .error { color: var(--llc-error, #b91c1c); }
  `;

  @property({ attribute: 'role-name', reflect: true }) roleName: Role = 'assistant';
  @property() text = '';
  @property() status: MessageStatus = 'done';
  @property({ attribute: false }) errorMessage?: string;
  @property({ attribute: false }) queuePosition?: number;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;

  override render() {
    const streaming = this.status === 'streaming' || this.status === 'queued' || (this.status === 'pending' && this.roleName === 'assistant');
    const author = this.roleName === 'user' ? this.strings.you : this.strings.assistant;
    return html`<article part="message message-${this.roleName}" aria-busy=${streaming ? 'true' : 'false'} aria-label=${author}>
      <div class="author" part="author">${author}</div>
      ${this.roleName === 'assistant'
        ? html`<div class="content" part="content">${unsafeHTML(renderMarkdown(this.text))}</div>`
        : html`<div class="content plain" part="content">${this.text}</div>`}
      ${this.renderStatus()}
      <slot name="actions"></slot>
    </article>`;
  }

  private renderStatus() {
    const s = this.strings;
    const line = (text: string, error = false) => html`<div class="status ${error ? 'error' : ''}" part="status">${text}</div>`;
    switch (this.status) {
      case 'queued':
        return line(s.queued(this.queuePosition));
      case 'pending':
        return this.roleName === 'user' ? line(s.pending) : this.text ? nothing : line(s.thinking);
      case 'streaming':
        return this.text ? nothing : line(s.thinking);
      case 'stopped':
        return line(s.stopped);
      case 'error':
        return line(s.failed(this.errorMessage ?? ''), true);
      default:
        return nothing;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-message': LlcMessage;
  }
}

import { consume } from '@lit/context';
import type { ConversationSummary } from '@locallightchat/protocol';
import type { LlcClient, LlcClientEventMap } from '@locallightchat/client';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';
import { fire } from './events.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/** Conversations asked for per page. */
const PAGE = 30;

/**
 * The user's conversations (only theirs, newest activity first), with a search by title, keyboard navigation
 * and rename / delete. Place it yourself inside `<llc-provider>` or `<llc-chat>`'s `sidebar` slot, or let
 * `<llc-chat sidebar>` show it (then it is imported only when shown).
 *
 * Keyboard: ArrowUp / ArrowDown / Home / End move between conversations, Enter opens one, F2 renames it,
 * Delete deletes it (after a confirmation button). Choosing one fires `llc-conversation-select`.
 *
 * @fires {CustomEvent<ConversationSelectEventDetail>} llc-conversation-select - a conversation was chosen
 * @csspart search - the search box
 * @csspart list - the list of conversations
 * @csspart conversation - one conversation's button
 * @csspart more - "Load more"
 */
@customElement('llc-conversation-list')
export class LlcConversationList extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 0;
      font: inherit;
    }
    input {
      font: inherit;
      font-size: max(16px, 1rem);
      margin: 0.5rem;
      padding: 0.375rem 0.5rem;
      border: 1px solid var(--llc-border, #cbd5e1);
      border-radius: 6px;
      background: var(--llc-bg, #fff);
      color: inherit;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
      overflow-y: auto;
      flex: 1;
    }
    li {
      display: flex;
      align-items: center;
    }
    button {
      font: inherit;
      color: inherit;
      background: transparent;
      border: 0;
      text-align: start;
      padding: 0.5rem 0.75rem;
      min-height: 44px;
      cursor: pointer;
    }
    .open {
      flex: 1;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    [aria-current='true'] .open {
      font-weight: 600;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 2px solid var(--llc-focus, #2563eb);
      outline-offset: -2px;
    }
  `;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true })
  @property({ attribute: false })
  conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;

  @state() private rows: ConversationSummary[] = [];
  @state() private cursor?: string;
  @state() private query = '';
  @state() private confirming?: string;
  private loadedFor?: LlcClient;
  private readonly onLibrary = (event: LlcClientEventMap['library']) => {
    const { change, conversationId, title } = event.detail;
    this.rows =
      change === 'deleted'
        ? this.rows.filter((r) => r.conversationId !== conversationId)
        : this.rows.map((r) => (r.conversationId === conversationId && title ? { ...r, title } : r));
  };

  /** The conversations shown: those loaded whose title contains the search (case-insensitive). */
  get visible(): ConversationSummary[] {
    const q = this.query.trim().toLowerCase();
    return q ? this.rows.filter((r) => (r.title ?? '').toLowerCase().includes(q)) : this.rows;
  }

  override willUpdate(): void {
    if (this.client && this.loadedFor !== this.client) {
      this.loadedFor?.removeEventListener('library', this.onLibrary);
      this.loadedFor = this.client;
      this.client.addEventListener('library', this.onLibrary);
      void this.reload();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.loadedFor?.removeEventListener('library', this.onLibrary);
    this.loadedFor = undefined;
  }

  /** Loads the first page again (e.g. after the user started a conversation). */
  async reload(): Promise<void> {
    if (!this.client) return;
    const page = await this.client.listConversations({ limit: PAGE }).catch(() => undefined);
    if (!page) return;
    this.rows = page.conversations;
    this.cursor = page.cursor;
  }

  private async more(): Promise<void> {
    if (!this.client || !this.cursor) return;
    const page = await this.client.listConversations({ before: this.cursor, limit: PAGE }).catch(() => undefined);
    if (!page) return;
    this.rows = [...this.rows, ...page.conversations];
    this.cursor = page.cursor;
  }

  override render() {
    const s = this.strings;
    const rows = this.visible;
    return html`<input
        part="search"
        type="search"
        aria-label=${s.searchConversations}
        placeholder=${s.searchConversations}
        .value=${this.query}
        @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)}
      />
      <ul part="list" aria-label=${s.conversations} @keydown=${this.onKeyDown}>
        ${rows.map(
          (r) =>
            html`<li aria-current=${r.conversationId === this.conversationId ? 'true' : 'false'}>
              <button
                type="button"
                class="open"
                part="conversation"
                data-id=${r.conversationId}
                @click=${() => this.select(r.conversationId)}
              >
                ${r.title ?? s.untitled}
              </button>
              ${
                this.confirming === r.conversationId
                  ? html`<button type="button" @click=${() => this.deleteOne(r.conversationId)}>
                      ${s.confirmDelete}
                    </button>`
                  : nothing
              }
            </li>`,
        )}
      </ul>
      ${
        this.cursor && !this.query
          ? html`<button type="button" part="more" @click=${() => this.more()}>${s.loadMore}</button>`
          : nothing
      }`;
  }

  private select(conversationId: string): void {
    fire(this, 'llc-conversation-select', { conversationId });
  }

  private async deleteOne(conversationId: string): Promise<void> {
    this.confirming = undefined;
    await this.client?.deleteConversation(conversationId).catch(() => undefined);
  }

  private readonly onKeyDown = (event: KeyboardEvent) => {
    const buttons = [...this.renderRoot.querySelectorAll<HTMLButtonElement>('button.open')];
    const index = buttons.indexOf(this.renderRoot.querySelector<HTMLButtonElement>('button.open:focus')!);
    if (index === -1) return;
    const id = buttons[index]!.dataset.id!;
    const move = (to: number) => {
      event.preventDefault();
      buttons[Math.max(0, Math.min(buttons.length - 1, to))]?.focus();
    };
    if (event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(buttons.length - 1);
    else if (event.key === 'Delete') {
      event.preventDefault();
      this.confirming = id;
    } else if (event.key === 'F2') {
      event.preventDefault();
      const current = this.rows.find((r) => r.conversationId === id)?.title ?? '';
      const title = prompt(this.strings.renameConversation, current)?.trim();
      if (title) void this.client?.renameConversation(id, title).catch(() => undefined);
    }
  };
}

/** Detail of `llc-conversation-select`. */
export interface ConversationSelectEventDetail {
  conversationId: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-conversation-list': LlcConversationList;
  }
}

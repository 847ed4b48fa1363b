import { consume } from '@lit/context';
import type { ConversationSummary } from '@locallightchat/protocol';
import type { LlcClient, LlcClientEventMap } from '@locallightchat/client';
import { Virtualizer } from '@tanstack/virtual-core';
import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { clientContext, conversationContext } from './context.js';
import { rowVirtualizerOptions } from './conversation-list/row-virtualizer.js';
import { conversationListStyles } from './conversation-list/styles.js';
import { TitleSearch, titleMatches } from './conversation-list/title-search.js';
import { cssProps } from './directives/css-props.js';
import { fire } from './events.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/** Conversations asked for per page. */
const PAGE = 30;
/** Rows from the end of what is loaded at which the next page is asked for while scrolling. */
const LOAD_AHEAD = 10;

/**
 * The user's conversations (only theirs, newest activity first), with a search by title, keyboard navigation
 * and rename / delete. Place it yourself inside `<llc-provider>` or `<llc-chat>`'s `sidebar` slot, or let
 * `<llc-chat sidebar>` show it (then it is imported only when shown).
 *
 * Rows are virtualized (only those in view are in the DOM; thousands of conversations scroll smoothly) and the
 * next page is asked for as the end comes into view. The search filters the loaded rows at once, then asks the
 * relay, which searches all of the user's conversations by title (after a 250 ms pause in typing).
 *
 * An ARIA grid with one tab stop: the focused conversation (roving tabindex). ArrowUp / ArrowDown / Home / End
 * move between conversations (rows have one cell to navigate, so Home / End go to the first / last row),
 * ArrowRight reaches a row's "Delete for good" button when shown, Enter opens a conversation, F2 renames it in
 * place (Enter saves, Escape cancels; focus comes back to the row), Delete asks to delete it (a confirmation
 * button). Choosing one fires `llc-conversation-select`.
 *
 * @fires {CustomEvent<ConversationSelectEventDetail>} llc-conversation-select - a conversation was chosen
 * @csspart search - the search box
 * @csspart list - the grid of conversations (it scrolls)
 * @csspart row - one conversation's row
 * @csspart conversation - one conversation's title (the focusable cell)
 * @csspart rename - the title field of a row being renamed
 * @csspart delete - a row's "Delete for good" button
 * @csspart more - "Load more"
 */
@customElement('llc-conversation-list')
export class LlcConversationList extends LitElement {
  static override styles = conversationListStyles;

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true })
  @property({ attribute: false })
  conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;

  @state() private rows: ConversationSummary[] = [];
  @state() private cursor?: string;
  @state() private query = '';
  @state() private confirming?: string;
  /** The row that holds the tab stop, by conversation id (kept when rows move). */
  @state() private active?: string;
  @state() private renaming?: { id: string; draft: string; error?: string };
  @query('[role="grid"]') private grid?: HTMLElement;
  private readonly search = new TitleSearch(() => this.requestUpdate());
  private virtualizer?: Virtualizer<HTMLElement, Element>;
  private cleanupVirtualizer?: () => void;
  private loading = false;
  private loadedFor?: LlcClient;
  private readonly onLibrary = (event: LlcClientEventMap['library']) => {
    const { change, conversationId, title } = event.detail;
    const apply = (rows: ConversationSummary[]) =>
      change === 'deleted'
        ? rows.filter((r) => r.conversationId !== conversationId)
        : rows.map((r) => (r.conversationId === conversationId && title ? { ...r, title } : r));
    this.rows = apply(this.rows);
    this.search.update(apply);
  };

  /**
   * The conversations shown: the relay's answer to the search when it came for this query, else the loaded ones;
   * either filtered by the search box as it is now (case-insensitive), so typing narrows the list at once.
   */
  get visible(): ConversationSummary[] {
    const q = this.query.trim();
    if (!q) return this.rows;
    const result = this.search.result;
    const base = result && q.toLowerCase().includes(result.query.toLowerCase()) ? result.rows : this.rows;
    return base.filter((r) => titleMatches(r.title, q));
  }

  override willUpdate(): void {
    if (this.client && this.loadedFor !== this.client) {
      this.loadedFor?.removeEventListener('library', this.onLibrary);
      this.loadedFor = this.client;
      this.client.addEventListener('library', this.onLibrary);
      void this.reload();
    }
    this.syncVirtualizer();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.loadedFor?.removeEventListener('library', this.onLibrary);
    this.loadedFor = undefined;
    this.search.dispose();
    this.cleanupVirtualizer?.();
    this.cleanupVirtualizer = undefined;
  }

  /** Loads the first page again (e.g. after the user started a conversation). */
  async reload(): Promise<void> {
    if (!this.client) return;
    const page = await this.client.listConversations({ limit: PAGE }).catch(() => undefined);
    if (!page) return;
    this.rows = page.conversations;
    this.cursor = page.cursor;
  }

  /** The next page: of the search's results while searching, else of all conversations. */
  private async more(): Promise<void> {
    if (!this.client || this.loading) return;
    this.loading = true;
    try {
      if (this.query.trim()) return await this.search.more(this.client, PAGE);
      if (!this.cursor) return;
      const page = await this.client.listConversations({ before: this.cursor, limit: PAGE }).catch(() => undefined);
      if (!page) return;
      this.rows = [...this.rows, ...page.conversations];
      this.cursor = page.cursor;
    } finally {
      this.loading = false;
    }
  }

  private get moreCursor(): string | undefined {
    return this.query.trim() ? this.search.result?.cursor : this.cursor;
  }

  private activeIndex(rows: ConversationSummary[]): number {
    const i = rows.findIndex((r) => r.conversationId === this.active);
    return i === -1 ? 0 : i;
  }

  /** Sets the virtualizer to the rows about to render (before render, so the rows drawn match the count). */
  private syncVirtualizer(): void {
    const rows = this.visible;
    const options = rowVirtualizerOptions(
      rows,
      this.activeIndex(rows),
      () => this.grid ?? null,
      () => this.onVirtualizerChange(),
    );
    if (this.virtualizer) this.virtualizer.setOptions(options);
    else this.virtualizer = new Virtualizer<HTMLElement, Element>(options);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.virtualizer) this.requestUpdate(); // mounts it again (see updated)
  }

  override updated(): void {
    const v = this.virtualizer!;
    this.cleanupVirtualizer ??= v._didMount();
    v._willUpdate();
  }

  private onVirtualizerChange(): void {
    this.requestUpdate();
    const items = this.virtualizer?.getVirtualItems() ?? [];
    const last = items.at(-1)?.index ?? 0;
    if (this.moreCursor && last >= this.visible.length - LOAD_AHEAD) void this.more();
  }

  override render() {
    const s = this.strings;
    const rows = this.visible;
    const active = this.activeIndex(rows);
    const v = this.virtualizer!;
    return html`<input
        part="search"
        type="search"
        aria-label=${s.searchConversations}
        placeholder=${s.searchConversations}
        .value=${this.query}
        @input=${this.onSearch}
      />
      <div
        part="list"
        role="grid"
        aria-label=${s.conversations}
        aria-rowcount=${this.moreCursor ? -1 : rows.length}
        @keydown=${this.onKeyDown}
      >
        <div role="rowgroup" ${cssProps({ height: `${v.getTotalSize()}px` })}>
          ${repeat(
            v.getVirtualItems().filter((item) => rows[item.index]),
            (item) => rows[item.index]!.conversationId,
            (item) => this.renderRow(rows[item.index]!, item.index, item.start, item.index === active),
          )}
        </div>
      </div>
      ${
        this.moreCursor
          ? html`<button type="button" part="more" @click=${() => this.more()}>${s.loadMore}</button>`
          : nothing
      }`;
  }

  private renderRow(r: ConversationSummary, index: number, start: number, tabStop: boolean) {
    const s = this.strings;
    const id = r.conversationId;
    const renaming = this.renaming?.id === id ? this.renaming : undefined;
    return html`<div
      role="row"
      part="row"
      aria-rowindex=${index + 1}
      aria-current=${id === this.conversationId ? 'true' : 'false'}
      data-id=${id}
      ${cssProps({ transform: `translateY(${start}px)` })}
    >
      ${
        renaming
          ? html`<div role="gridcell" class="title">
                <input
                  part="rename"
                  type="text"
                  maxlength="200"
                  aria-label=${s.renameConversation}
                  aria-invalid=${renaming.error ? 'true' : 'false'}
                  .value=${renaming.draft}
                  @input=${(e: Event) => (this.renaming = { id, draft: (e.target as HTMLInputElement).value })}
                  @keydown=${this.onRenameKey}
                  @blur=${() => this.renaming?.id === id && !this.renaming.error && this.endRename(false)}
                />
              </div>
              ${renaming.error ? html`<span class="error" role="alert">${renaming.error}</span>` : nothing}`
          : html`<div
              role="gridcell"
              class="title"
              part="conversation"
              tabindex=${tabStop ? 0 : -1}
              @click=${() => this.select(id)}
              @focus=${() => (this.active = id)}
            >
              <span>${r.title ?? s.untitled}</span>
            </div>`
      }
      ${
        this.confirming === id
          ? html`<div role="gridcell">
              <button type="button" part="delete" tabindex="-1" @click=${() => this.deleteOne(id)}>
                ${s.confirmDelete}
              </button>
            </div>`
          : nothing
      }
    </div>`;
  }

  private readonly onSearch = (e: Event) => {
    this.query = (e.target as HTMLInputElement).value;
    this.search.input(this.client, this.query, PAGE);
    this.virtualizer?.scrollToOffset(0);
  };

  private select(conversationId: string): void {
    fire(this, 'llc-conversation-select', { conversationId });
  }

  private async deleteOne(conversationId: string): Promise<void> {
    const rows = this.visible;
    const at = rows.findIndex((r) => r.conversationId === conversationId);
    this.confirming = undefined;
    await this.client?.deleteConversation(conversationId).catch(() => undefined);
    // The tab stop goes to the row that took its place (or the one above the last).
    const next = rows[at + 1] ?? rows[at - 1];
    if (next) await this.focusRow(next.conversationId);
  }

  /** Moves the tab stop to a row, scrolls it into view and focuses it. */
  private async focusRow(conversationId: string): Promise<void> {
    this.active = conversationId;
    const index = this.visible.findIndex((r) => r.conversationId === conversationId);
    if (index !== -1) this.virtualizer?.scrollToIndex(index, { align: 'auto' });
    await this.updateComplete;
    this.cellOf(conversationId)?.focus();
  }

  private cellOf(conversationId: string): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>(
      `[data-id="${CSS.escape(conversationId)}"] [part="conversation"]`,
    );
  }

  private startRename(id: string): void {
    const current = this.visible.find((r) => r.conversationId === id)?.title ?? '';
    this.renaming = { id, draft: current };
    void this.updateComplete.then(() => {
      const field = this.renderRoot.querySelector<HTMLInputElement>('[part="rename"]');
      field?.focus();
      field?.select();
    });
  }

  /** Ends a rename: saves the draft (an empty one is refused with an error, the field stays) or cancels. */
  private async endRename(save: boolean): Promise<void> {
    const editing = this.renaming;
    if (!editing) return;
    const title = editing.draft.trim();
    const before = this.visible.find((r) => r.conversationId === editing.id)?.title;
    if (save && !title) {
      this.renaming = { ...editing, error: this.strings.actionFailed('the title is empty') };
      return;
    }
    this.renaming = undefined;
    await this.focusRow(editing.id);
    if (!save || title === before || !this.client) return;
    try {
      await this.client.renameConversation(editing.id, title);
    } catch (error) {
      // Nothing is lost: the field comes back with what was typed, and why it was not saved.
      this.renaming = { ...editing, error: this.strings.actionFailed((error as Error).message) };
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLInputElement>('[part="rename"]')?.focus();
    }
  }

  private readonly onRenameKey = (event: KeyboardEvent) => {
    event.stopPropagation(); // the grid's keys (Home, End, Delete…) edit text here
    if (event.key === 'Enter') {
      event.preventDefault();
      void this.endRename(true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      this.renaming = undefined;
      const id = (event.target as HTMLElement).closest<HTMLElement>('[role="row"]')?.dataset.id;
      if (id) void this.focusRow(id);
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const id = target.closest<HTMLElement>('[role="row"]')?.dataset.id;
    if (!id) return;
    const rows = this.visible;
    const index = rows.findIndex((r) => r.conversationId === id);
    const move = (to: number) => {
      event.preventDefault();
      const row = rows[Math.max(0, Math.min(rows.length - 1, to))];
      if (row) void this.focusRow(row.conversationId);
    };
    const onTitle = target.getAttribute('part') === 'conversation';
    if (event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(rows.length - 1);
    else if (event.key === 'PageDown') move(index + 10);
    else if (event.key === 'PageUp') move(index - 10);
    else if (event.key === 'ArrowRight' && onTitle) {
      const del = target.closest('[role="row"]')?.querySelector<HTMLElement>('[part="delete"]');
      if (del) {
        event.preventDefault();
        del.focus();
      }
    } else if (event.key === 'ArrowLeft' && !onTitle) move(index);
    else if (event.key === 'Escape' && this.confirming === id) {
      this.confirming = undefined;
      move(index);
    } else if (!onTitle) return;
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.select(id);
    } else if (event.key === 'Delete') {
      // The confirmation button appears beside the title and takes focus (Escape or ArrowLeft come back).
      event.preventDefault();
      this.confirming = id;
      void this.updateComplete.then(() =>
        this.renderRoot.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"] [part="delete"]`)?.focus(),
      );
    } else if (event.key === 'F2') {
      event.preventDefault();
      this.startRename(id);
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

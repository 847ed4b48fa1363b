/**
 * The built-in actions under a message: Copy (as markdown, or as the plain text the reader sees), Regenerate
 * (finished, stopped or failed answers), Edit (your acknowledged messages; an inline editor where Enter sends
 * and Escape cancels) and Feedback (thumbs up / down on an answer, then an optional comment).
 *
 * Each is a native button (keyboard-reachable in reading order, never hover-only) and its outcome is spoken
 * through the transcript's polite live region (an `llc-announce` event). Every action first fires the
 * cancelable `llc-message-action` event; unless a listener calls `preventDefault()`, the message then asks its
 * `perform` hook (the transcript wires it to the client: regenerate, editAndResend, feedback). Copy needs no
 * hook.
 */
import { isLive, isSettled, type MessageStatus } from '@locallightchat/client';
import type { FeedbackRating, Role } from '@locallightchat/protocol';
import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { fire, type MessageActionEventDetail } from '../events.js';
import type { ChatStrings } from '../strings.js';
import type { MessageActionName } from './action-names.js';

/** Carries out an action the app did not take over (see the module comment); may be async. */
export type PerformAction = (detail: MessageActionEventDetail) => void | Promise<void>;

/** What the controller reads from its message. */
export interface ActionsHost extends ReactiveControllerHost, HTMLElement {
  roleName: Role;
  status: MessageStatus;
  text: string;
  messageKey: string;
  strings: ChatStrings;
  actions: readonly MessageActionName[];
  perform?: PerformAction;
  /** The rendered answer, for "copy as text" (what the reader sees, without markdown syntax). */
  readonly renderedText: string;
}

export class MessageActions implements ReactiveController {
  /** The inline editor is open (user messages). */
  editing = false;
  /** The rating given here, once the relay stored it. */
  rated?: FeedbackRating;
  /** The optional comment field after a rating. */
  commenting = false;
  readonly #host: ActionsHost;

  constructor(host: ActionsHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {}

  /** The buttons for this message's state (nothing while an answer is written or a message is unsent). */
  renderToolbar() {
    const h = this.#host;
    const s = h.strings;
    const has = (name: MessageActionName) => h.actions.includes(name);
    const answer = h.roleName === 'assistant';
    const ready = answer ? isSettled(h.status) : h.status === 'done' || h.status === 'error';
    if (!ready || this.editing || h.actions.length === 0) return nothing;
    const canRegenerate = answer && has('regenerate') && !isLive(h.status);
    const canRate = answer && has('feedback') && h.status !== 'error' && h.text.length > 0;
    return html`<div class="builtin-actions" part="actions" role="group" aria-label=${s.messageActions}>
        ${
          has('copy')
            ? html`<button type="button" part="action-button" @click=${() => this.#copy('markdown')}>${s.copy}</button>
                <button type="button" part="action-button" @click=${() => this.#copy('text')}>${s.copyText}</button>`
            : nothing
        }
        ${
          canRegenerate
            ? html`<button type="button" part="action-button" @click=${() => this.#regenerate()}>
                ${s.regenerate}
              </button>`
            : nothing
        }
        ${
          !answer && has('edit') && h.status === 'done'
            ? html`<button type="button" part="action-button" data-builtin="edit" @click=${() => this.#openEditor()}>
                ${s.edit}
              </button>`
            : nothing
        }
        ${
          canRate
            ? html`<button
                  type="button"
                  part="action-button"
                  aria-pressed=${this.rated === 'up' ? 'true' : 'false'}
                  aria-label=${s.rateUp}
                  title=${s.rateUp}
                  @click=${() => this.#rate('up')}
                >
                  👍
                </button>
                <button
                  type="button"
                  part="action-button"
                  aria-pressed=${this.rated === 'down' ? 'true' : 'false'}
                  aria-label=${s.rateDown}
                  title=${s.rateDown}
                  @click=${() => this.#rate('down')}
                >
                  👎
                </button>`
            : nothing
        }
      </div>
      ${this.commenting ? this.#renderCommentForm() : nothing}`;
  }

  /** The inline editor that replaces a user message's text while editing. */
  renderEditor() {
    const s = this.#host.strings;
    return html`<div class="editor" part="editor">
      <textarea
        part="edit-input"
        aria-label=${s.editLabel}
        .value=${this.#host.text}
        @keydown=${this.#onEditorKey}
      ></textarea>
      <div class="editor-buttons">
        <button type="button" part="action-button" @click=${() => this.#submitEdit()}>${s.send}</button>
        <button type="button" part="action-button" @click=${() => this.#closeEditor(true)}>${s.cancel}</button>
      </div>
    </div>`;
  }

  #renderCommentForm() {
    const s = this.#host.strings;
    return html`<form class="comment" part="feedback-form" @submit=${this.#onComment}>
      <input part="feedback-input" name="comment" aria-label=${s.feedbackComment} placeholder=${s.feedbackComment} />
      <button type="submit" part="action-button">${s.sendComment}</button>
      <button type="button" part="action-button" @click=${() => this.#closeComment()}>${s.close}</button>
    </form>`;
  }

  /** Fires the cancelable event, then (unless cancelled) the host's hook; announces the outcome. */
  async #act(detail: Omit<MessageActionEventDetail, 'messageKey' | 'text'>, done: string): Promise<boolean> {
    const h = this.#host;
    const full: MessageActionEventDetail = { ...detail, messageKey: h.messageKey, text: h.text };
    if (!fire(h, 'llc-message-action', full, true)) return false;
    // Without a hook the app carries actions out from the event, and announces them itself.
    if (!h.perform) return true;
    try {
      await h.perform(full);
      this.#announce(done);
      return true;
    } catch (error) {
      this.#announce(h.strings.actionFailed(error instanceof Error ? error.message : String(error)));
      return false;
    }
  }

  async #copy(format: 'markdown' | 'text'): Promise<void> {
    const h = this.#host;
    const text = format === 'markdown' || h.roleName !== 'assistant' ? h.text : h.renderedText;
    if (!fire(h, 'llc-message-action', { action: 'copy', format, messageKey: h.messageKey, text }, true)) return;
    try {
      await navigator.clipboard.writeText(text);
      this.#announce(h.strings.copied);
    } catch {
      this.#announce(h.strings.copyFailed);
    }
  }

  #regenerate(): void {
    void this.#act({ action: 'regenerate' }, this.#host.strings.regenerating);
  }

  async #rate(rating: FeedbackRating): Promise<void> {
    if (await this.#act({ action: 'feedback', rating }, this.#host.strings.feedbackThanks)) {
      this.rated = rating;
      this.commenting = true;
      this.#host.requestUpdate();
      await this.#host.updateComplete;
      this.#host.shadowRoot?.querySelector<HTMLInputElement>('[part="feedback-input"]')?.focus();
    }
  }

  readonly #onComment = async (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('comment') as HTMLInputElement;
    const comment = input.value.trim();
    if (!comment || !this.rated) return this.#closeComment();
    if (await this.#act({ action: 'feedback', rating: this.rated, comment }, this.#host.strings.commentThanks))
      this.#closeComment();
  };

  #closeComment(): void {
    this.commenting = false;
    this.#host.requestUpdate();
  }

  async #openEditor(): Promise<void> {
    this.editing = true;
    this.#host.requestUpdate();
    await this.#host.updateComplete;
    const input = this.#host.shadowRoot?.querySelector<HTMLTextAreaElement>('[part="edit-input"]');
    input?.focus();
    input?.setSelectionRange(input.value.length, input.value.length);
  }

  readonly #onEditorKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      // Escape here cancels the edit; it must not also stop an answer (the chat's Escape).
      event.preventDefault();
      event.stopPropagation();
      void this.#closeEditor(true);
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void this.#submitEdit();
    }
  };

  async #submitEdit(): Promise<void> {
    const input = this.#host.shadowRoot?.querySelector<HTMLTextAreaElement>('[part="edit-input"]');
    const edited = input?.value.trim() ?? '';
    if (!edited || edited === this.#host.text) return this.#closeEditor(true);
    if (await this.#act({ action: 'edit', edited }, this.#host.strings.editSent)) await this.#closeEditor(false);
  }

  async #closeEditor(refocus: boolean): Promise<void> {
    this.editing = false;
    this.#host.requestUpdate();
    if (!refocus) return;
    await this.#host.updateComplete;
    this.#host.shadowRoot?.querySelector<HTMLButtonElement>('[data-builtin="edit"]')?.focus();
  }

  #announce(text: string): void {
    fire(this.#host, 'llc-announce', { text });
  }
}

import { consume } from '@lit/context';
import { isSettled, type LlcClient } from '@locallightchat/client';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';
import { ConversationController } from './controllers/conversation-controller.js';
import { fire } from './events.js';
import type { AttachmentLimits, ComposerAttachments } from './parts/composer-attachments.js';
import { composerAttachmentStyles, renderAttachmentChips } from './parts/attachment-chips.js';
import { composerAttachmentsChunk } from './parts/load-composer-attachments.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/** Files the composer takes by default: the relay upload endpoint's default types. */
export const DEFAULT_ACCEPT =
  'image/png,image/jpeg,image/gif,image/webp,text/plain,text/markdown,text/csv,application/json,application/pdf';

/**
 * The message box. Enter sends, Shift+Enter adds a line, Escape stops the running answer. Sending fires a
 * cancelable `llc-send` event first, so an app can intercept or decorate messages.
 *
 * Files: with a client that can upload (its `presignUpload` hook), an "Attach files" button opens the file
 * picker, and files can be pasted or dropped on the composer; see parts/composer-attachments.ts (loaded with the
 * composer's first render: files added before it is there wait for it, and so does `updateComplete`).
 *
 * @csspart form - the form
 * @csspart attach-button - the Attach files button
 * @csspart attachments - the list of attached files
 * @csspart attachment - one attached file (a chip)
 * @csspart attachment-thumbnail - an image's thumbnail in its chip
 * @csspart attachment-progress - an upload's progress bar
 * @csspart attachment-remove - a chip's Remove button
 * @csspart attachment-error - why a file was refused
 * @csspart input - the textbox
 * @csspart send-button - the Send button
 * @csspart stop-button - the Stop generating button
 * @fires {CustomEvent<SendEventDetail>} llc-send - before a message is sent (cancelable)
 * @fires {CustomEvent<StopEventDetail>} llc-stop - when the user stops an answer
 */
@customElement('llc-composer')
export class LlcComposer extends LitElement {
  static override styles = [
    composerAttachmentStyles,
    css`
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
    `,
  ];

  @consume({ context: clientContext, subscribe: true }) @property({ attribute: false }) client?: LlcClient;
  @consume({ context: conversationContext, subscribe: true }) @property({ attribute: false }) conversationId?: string;
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;
  @state() private value = '';
  /** Accepted file types (the file input's `accept` syntax: MIME types, `type/*`, `.ext`). */
  @property() accept = DEFAULT_ACCEPT;
  /** Largest file, bytes (default 10 MiB, the relay upload endpoint's default). */
  @property({ type: Number, attribute: 'max-file-bytes' }) maxFileBytes = 10 * 1024 * 1024;
  /** Most files on one message (default 8, the relay's default). */
  @property({ type: Number, attribute: 'max-files' }) maxFiles = 8;
  @state() private announcement = '';
  /** The files' controller, made when the first file comes (its chunk is there by then, or awaited). */
  private attachments?: ComposerAttachments;
  /** Files handed to the controller once its chunk is there (settles, never rejects). */
  private attachmentsWait?: Promise<void>;
  @state() private dragging = false;
  @query('input[type=file]') private picker?: HTMLInputElement;

  /** The limits files are checked against. */
  get limits(): AttachmentLimits {
    return { accept: this.accept, maxFileBytes: this.maxFileBytes, maxFiles: this.maxFiles };
  }

  /** Says `text` in the composer's polite live region (attachments added, removed, refused). */
  announce(text: string): void {
    // A repeated text is re-announced: clear first, then set on the next frame.
    this.announcement = '';
    requestAnimationFrame(() => (this.announcement = text));
  }

  /** Opens the file picker (same as the Attach files button). */
  openFilePicker(): void {
    this.picker?.click();
  }

  /** Adds files as if picked, pasted or dropped (checked against the limits). */
  addFiles(files: Iterable<File>): void {
    if (this.attachments) return this.attachments.add(files);
    const list = [...files]; // A FileList read later may be empty (the input is reset after a pick).
    this.attachmentsWait = composerAttachmentsChunk.load().then(
      ({ ComposerAttachments }) => (this.attachments ??= new ComposerAttachments(this)).add(list),
      () => undefined,
    );
  }

  protected override updated(): void {
    // Fetched once the Attach button shows, not when the first file comes: a file attached offline (kept for
    // the outbox) must not wait for a fetch that cannot happen then (e2e/attachments.e2e.ts).
    if (this.client?.canUpload && !this.attachments) composerAttachmentsChunk.load().catch(() => undefined);
  }

  /** Also waits for files being added while the attachments' chunk is on its way, and for their render. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    if (!this.attachmentsWait) return done;
    await this.attachmentsWait;
    return super.getUpdateComplete();
  }
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
    const canAttach = this.client?.canUpload === true;
    const files = this.attachments;
    const uploading = files?.uploading === true;
    return html`${renderAttachmentChips(files, s)}
      <form
        part="form"
        class=${this.dragging ? 'dragging' : ''}
        @submit=${this.onSubmit}
        @dragover=${canAttach ? this.onDragOver : undefined}
        @dragleave=${canAttach ? this.onDragLeave : undefined}
        @drop=${canAttach ? this.onDrop : undefined}
      >
        <label class="visually-hidden" for="input">${s.messageLabel}</label>
        ${
          canAttach
            ? html`<button
                  type="button"
                  class="attach"
                  part="attach-button"
                  aria-label=${s.attach}
                  title=${s.attach}
                  @click=${() => this.openFilePicker()}
                >
                  📎</button
                ><input type="file" multiple hidden accept=${this.accept} @change=${this.onPicked} />`
            : nothing
        }
        <textarea
          id="input"
          part="input"
          rows="1"
          placeholder=${s.placeholder}
          aria-label=${s.messageLabel}
          .value=${this.value}
          @input=${this.onInput}
          @keydown=${this.onKeyDown}
          @paste=${canAttach ? this.onPaste : undefined}
        ></textarea>
        ${
          running
            ? html`<button type="button" class="stop" part="stop-button" @click=${() => this.stop()}>${s.stop}</button>`
            : html`<button
                type="submit"
                part="send-button"
                ?disabled=${(!this.value.trim() && !files?.outgoing.length) || uploading}
              >
                ${uploading ? s.waitForUploads : s.send}
              </button>`
        }
      </form>
      <div class="visually-hidden" role="status">${this.announcement}</div>`;
  }

  /** Sends the current text (same as pressing Enter). */
  send(): void {
    const text = this.value.trim();
    const attachments = this.attachments?.outgoing ?? [];
    if ((!text && attachments.length === 0) || this.attachments?.uploading || !this.client || !this.conversationId)
      return;
    const detail = { conversationId: this.conversationId, text, ...(attachments.length ? { attachments } : {}) };
    if (!fire(this, 'llc-send', detail, true)) return;
    this.client.send(this.conversationId, text, attachments.length ? { attachments } : {});
    this.value = '';
    // Queued files' previews now belong to the message (the client shows its own): keep nothing here.
    this.attachments?.clear(false);
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

  private onPicked(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.addFiles([...(input.files ?? [])]);
    input.value = '';
  }

  private onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    // Files pasted (a screenshot, a copied file): attach them; text in the same paste still goes to the box.
    if (!event.clipboardData?.getData('text/plain')) event.preventDefault();
    this.addFiles(files);
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDragLeave(): void {
    this.dragging = false;
  }

  private onDrop(event: DragEvent): void {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    this.addFiles(files);
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

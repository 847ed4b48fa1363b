import { attachmentStyles, renderMessageAttachments } from './parts/attachments-part.js';
import { isLive, isSettled, type ClientAttachment, type MessageStatus } from '@locallightchat/client';
import type { FinishReason, Role, ToolCallState } from '@locallightchat/protocol';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { actionsConverter, ALL_MESSAGE_ACTIONS, type MessageActionName } from './actions/action-names.js';
import { branchPickerStyles, renderBranchPicker } from './actions/branch-picker.js';
import { messageActionStyles } from './actions/message-actions.styles.js';
import { MessageActions, type PerformAction } from './actions/message-actions.js';
import { decorateCodeBlocks, defaultCodeBlock, type CodeBlockRenderer } from './code/code-block.js';
import type { StreamingMarkdown } from './controllers/streaming-markdown.js';
import { loadMarkdown, markdownChunk, type MarkdownChunk } from './markdown/load-markdown.js';
import { ReasoningTracker, type ReasoningState } from './parts/reasoning-part.js';
import { renderToolCalls } from './parts/tool-calls-part.js';
import { fire } from './events.js';
import { messageStyles } from './llc-message.styles.js';
import type { Renderers, ToolCallOutcome } from './renderers.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

/** The parts of `<llc-message>`, for `exportparts` of the elements that contain it. */
export const MESSAGE_PARTS =
  'message, message-user, message-assistant, author, content, status, diagram, diagram-error, code-block, code-toolbar, code-language, copy-button, code, attachments, attachment, attachment-thumbnail, attachment-name, attachment-state, tool-calls, tool-call, tool-call-name, tool-call-status, tool-call-args, tool-call-result, tool-approve-button, tool-deny-button, reasoning, reasoning-summary, reasoning-text, link-host, image, image-placeholder, image-load-button, actions, action-button, editor, edit-input, feedback-form, feedback-input, branches, branch-button, branch-previous, branch-next, branch-position';

/**
 * One message of the transcript. Assistant answers render as sanitised, block-incremental markdown (see
 * IncrementalMarkdown), flushed at most once per animation frame; user messages as plain text. The markdown
 * renderer is a chunk of its own, loaded when the element is first connected: an answer that arrives before it
 * shows as plain text, then renders once (`updateComplete` waits for that). While an
 * answer streams, the article is `aria-busy="true"`, and each block that finishes is offered for announcement
 * through a bubbling `llc-announce` event (the transcript's live region speaks it).
 *
 * @csspart message - the article (also `message-user` / `message-assistant`)
 * @csspart author - the author line
 * @csspart content - the message body
 * @csspart status - status line (queued, stopped, failed)
 * @csspart code-block - a finished code block (toolbar + code)
 * @csspart code-toolbar - the code block's toolbar
 * @csspart code-language - the language label
 * @csspart copy-button - the code block's Copy button
 * @csspart code - the `<pre>` of a code block
 * @csspart diagram - a ```mermaid fence once closed: its source as code until the diagram is drawn (fixed height,
 *   `--llc-diagram-height`, 18rem by default)
 * @csspart diagram-error - the line under a diagram's source when Mermaid cannot draw it
 * @csspart tool-calls - the answer's tool calls, under its text
 * @csspart tool-call - one call (default renderer; `data-status` says where it is)
 * @csspart tool-call-name - its function name
 * @csspart tool-call-status - its state line
 * @csspart tool-call-args - its arguments' JSON text, as it streams
 * @csspart tool-call-result - the result the app reported
 * @csspart tool-approve-button - Approve (while it waits for approval)
 * @csspart tool-deny-button - Deny
 * @fires {CustomEvent<ToolDecisionEventDetail>} llc-tool-decision - the reader approved or denied a tool call
 * @csspart reasoning - the "Thinking" part (a `<details>`): the model's reasoning, collapsed once the answer starts
 * @csspart reasoning-summary - its summary line ("Thinking…", "Thought for 4 s")
 * @csspart reasoning-text - the reasoning text
 * @csspart link-host - the real host shown after a link whose text does not name it
 * @csspart image - an image of an answer (allow-listed origin, or loaded on request)
 * @csspart image-placeholder - an image not loaded yet: its alt text, its host and a "Load image" button
 * @csspart image-load-button - the placeholder's "Load image" button
 * @csspart actions - the built-in actions (Copy, Copy as text, Regenerate, Edit, 👍 / 👎)
 * @csspart action-button - each built-in action's button
 * @csspart editor - the inline editor of a user message (with edit-input)
 * @csspart feedback-form - the optional comment after a rating (with feedback-input)
 * @csspart branches - the "N / M" picker of a message with several versions (edits, regenerates)
 * @csspart branch-button - its Previous / Next buttons (also `branch-previous` / `branch-next`)
 * @csspart branch-position - its position ("2 / 3"; read as "Version 2 of 3")
 * @slot actions - per-message actions of the app's own (the `message-actions` template)
 * @fires {CustomEvent<AnnounceEventDetail>} llc-announce - a finished block of a streaming answer, for a live region
 * @fires {CustomEvent<MessageActionEventDetail>} llc-message-action - a `[data-action]` element in the actions was clicked: `{ action, messageKey, text }`
 */
@customElement('llc-message')
export class LlcMessage extends LitElement {
  static override styles = [messageStyles, messageActionStyles, branchPickerStyles, attachmentStyles];

  @property({ attribute: 'role-name', reflect: true }) roleName: Role = 'assistant';
  @property() text = '';
  /** The model's reasoning, shown in a collapsible "Thinking" part above the answer. */
  @property({ attribute: false }) reasoning = '';
  /** How long the model reasoned, ms, when the bridge measured it. */
  @property({ attribute: false }) reasoningMs?: number;
  /** A user message's files and images (thumbnails and file chips). */
  @property({ attribute: false }) attachments?: readonly ClientAttachment[];
  /** The answer's tool calls as they stream (from the client's message). */
  @property({ attribute: false }) toolCalls?: readonly ToolCallState[];
  /** What the app reports about calls it runs, by call id (see `<llc-chat>`'s `toolStates`). */
  @property({ attribute: false }) toolStates?: ReadonlyMap<string, ToolCallOutcome>;
  /** Decisions taken here before the app reported anything (so a call is never offered twice). */
  private readonly decided = new Map<string, ToolCallOutcome>();
  @property({ reflect: true }) status: MessageStatus = 'done';
  @property({ attribute: false }) errorMessage?: string;
  @property({ attribute: false }) queuePosition?: number;
  @property({ attribute: false }) finishReason?: FinishReason;
  /** The message's stable key (passed to renderers and action events). */
  @property({ attribute: 'message-key' }) messageKey = '';
  @property({ attribute: false }) strings: ChatStrings = DEFAULT_STRINGS;
  @property({ attribute: false }) renderers: Renderers = {};
  /**
   * Origins whose images load without asking; other images show a placeholder with a "Load image" button.
   * Applies to blocks completed after it is set.
   */
  @property({ attribute: false }) imageOrigins: readonly string[] = [];
  /**
   * A `<template>` cloned into the `actions` slot of finished answers (what `<llc-chat>` does with its
   * `message-actions` slot). A click on an element with `data-action` inside fires `llc-message-action`.
   */
  @property({ attribute: false }) actionsTemplate?: HTMLTemplateElement;

  /**
   * The built-in actions shown (attribute: names separated by spaces, `none` for none; default all): `copy`,
   * `regenerate`, `edit`, `feedback`.
   */
  @property({ converter: actionsConverter }) actions: readonly MessageActionName[] = ALL_MESSAGE_ACTIONS;
  /** Carries out the built-in actions that need a client (regenerate, edit, feedback); `<llc-message-list>` sets it. */
  @property({ attribute: false }) perform?: PerformAction;
  /** The message's server id (with `siblings`, for the branch picker). */
  @property({ attribute: false }) messageId?: string;
  /**
   * The message's versions (edits, regenerates) as server ids, itself included: with two or more, an "N / M"
   * picker is shown (see actions/branch-picker.ts).
   */
  @property({ attribute: false }) siblings?: readonly string[];

  @query('.markdown') private markdownHost?: HTMLElement;
  private readonly actionsUi = new MessageActions(this);
  private stream?: StreamingMarkdown;
  /** Set while the markdown chunk is awaited: resolves once this element has asked to render with it. */
  private markdownWait?: Promise<void>;
  /** Blocks are announced only for answers that streamed while shown (not for history). */
  private streamedHere = false;
  private readonly reasoningPart = new ReasoningTracker();

  /** The answer as the reader sees it (no markdown syntax), for "Copy as text". */
  get renderedText(): string {
    return (this.markdownHost?.innerText ?? this.text).trim();
  }

  /** Whether the answer is still being produced (a user message never is). */
  get busy(): boolean {
    return this.roleName === 'assistant' ? !isSettled(this.status) : isLive(this.status);
  }

  override render() {
    const author = this.roleName === 'user' ? this.strings.you : this.strings.assistant;
    return html`<article
      part="message message-${this.roleName}"
      aria-busy=${this.busy ? 'true' : 'false'}
      aria-label=${author}
    >
      <div class="author" part="author">${author}</div>
      ${this.roleName === 'assistant' ? this.reasoningPart.render(this.reasoningState, this.strings) : nothing}
      ${this.actionsUi.editing ? this.actionsUi.renderEditor() : this.renderBody()}
      ${renderMessageAttachments(this.attachments, this.strings)} ${this.renderToolCalls()} ${this.renderStatus()}
      ${this.renderBranches()} ${this.actionsUi.renderToolbar()}
      <div class="actions"><slot name="actions"></slot></div>
    </article>`;
  }

  private renderBranches() {
    return renderBranchPicker({
      siblings: this.siblings,
      messageId: this.messageId,
      strings: this.strings,
      select: (branch, index, count) => {
        const detail = { action: 'select-branch', messageKey: this.messageKey, text: this.text, branch };
        if (!fire(this, 'llc-message-action', detail, true)) return;
        fire(this, 'llc-announce', { text: this.strings.branchShown(index, count) });
        void this.perform?.(detail);
      },
    });
  }

  private renderToolCalls() {
    if (this.roleName !== 'assistant' || !this.toolCalls?.length) return nothing;
    const outcomes = new Map([...this.decided, ...(this.toolStates ?? new Map<string, ToolCallOutcome>())]);
    return renderToolCalls({
      calls: this.toolCalls,
      outcomes,
      messageKey: this.messageKey,
      strings: this.strings,
      renderers: this.renderers,
      settledWithoutEnd: isSettled(this.status) && this.status !== 'done',
      decide: (call, decision) => {
        if (this.decided.has(call.id) || this.toolStates?.has(call.id)) return;
        this.decided.set(call.id, { status: decision === 'approve' ? 'running' : 'denied' });
        this.requestUpdate();
        fire(this, 'llc-tool-decision', {
          decision,
          messageKey: this.messageKey,
          id: call.id,
          name: call.name,
          args: call.arguments,
        });
      },
    });
  }

  private renderBody() {
    if (this.roleName !== 'assistant') return html`<div class="content plain" part="content">${this.text}</div>`;
    // Children of .markdown belong to the incremental renderer, never to Lit.
    return html`<div class="content markdown" part="content"></div>`;
  }

  private get reasoningState(): ReasoningState {
    return { reasoning: this.reasoning, reasoningMs: this.reasoningMs, text: this.text, busy: this.busy };
  }

  protected override willUpdate(): void {
    if (this.roleName !== 'assistant') return;
    if (this.busy) this.streamedHere = true;
    const said = this.reasoningPart.observe(this.reasoningState, this.strings);
    // Said once, politely, and only for an answer that was reasoning while shown here (not for history).
    if (said && this.streamedHere) fire(this, 'llc-announce', { text: said });
    // A call that streamed here and now waits for the reader is announced once (they have to act on it).
    for (const call of this.toolCalls ?? []) {
      if (!call.complete || !this.streamedHere || this.announcedCalls.has(call.id)) continue;
      this.announcedCalls.add(call.id);
      if (!this.toolStates?.has(call.id)) fire(this, 'llc-announce', { text: this.strings.toolAwaiting(call.name) });
    }
  }

  /** The `once` key of the answer-started announcement this element offered last. */
  private startOffered?: string;

  /** Tool calls already announced. */
  private readonly announcedCalls = new Set<string>();

  override connectedCallback(): void {
    super.connectedCallback();
    // The renderer's chunk starts loading with the first message element, before any answer needs it.
    loadMarkdown().catch(() => undefined);
    this.addEventListener('click', this.onActionClick);
    this.stream?.resume();
  }

  private readonly onActionClick = (event: Event) => {
    const target = event
      .composedPath()
      .find((n): n is HTMLElement => n instanceof HTMLElement && n.hasAttribute('data-action'));
    if (!target || !this.contains(target)) return;
    fire(this, 'llc-message-action', {
      action: target.getAttribute('data-action')!,
      messageKey: this.messageKey,
      text: this.text,
    });
  };

  /** Clones the actions template into the light DOM (slot `actions`) of a finished answer. */
  private syncActions(): void {
    const want = this.roleName === 'assistant' && !this.busy ? this.actionsTemplate : undefined;
    const current = this.querySelector(':scope > [data-llc-actions]');
    if (current && (current as HTMLElement & { template?: HTMLTemplateElement }).template === want) return;
    current?.remove();
    if (!want) return;
    const holder = document.createElement('div') as HTMLDivElement & { template?: HTMLTemplateElement };
    holder.slot = 'actions';
    holder.setAttribute('data-llc-actions', '');
    holder.template = want;
    holder.append(want.content.cloneNode(true));
    this.append(holder);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('actionsTemplate') || changed.has('status') || changed.has('roleName')) this.syncActions();
    const host = this.markdownHost;
    if (!host) {
      this.stream?.dispose();
      this.stream = undefined;
      return;
    }
    const textChanged = changed.has('text') || changed.has('status') || changed.has('renderers');
    if (textChanged) {
      if (this.busy) this.streamedHere = true;
      const startKey = `${this.messageKey}:start`;
      // Offered once per answer here (the list speaks a key once anyway): dispatching it on every chunk's update
      // was 145 of the 537 ms the list's renders took in a traced 10k-token stream at 4× CPU throttle.
      if (this.status === 'streaming' && this.startOffered !== startKey) {
        this.startOffered = startKey;
        fire(this, 'llc-announce', { text: this.strings.answerStarted, once: startKey });
      }
    }
    host.classList.toggle('streamed', this.streamedHere);
    const chunk = markdownChunk();
    if (!chunk) {
      // The renderer is on its way: the text shows as text (never parsed, so no link or image is live), its
      // lines kept (`.plain`).
      host.classList.add('plain');
      if (host.textContent !== this.text) host.textContent = this.text;
      if (!this.text) return;
      this.markdownWait ??= loadMarkdown().then(
        () => this.requestUpdate(),
        () => undefined,
      );
      return;
    }
    const created = !this.stream || this.stream.renderer.container !== host;
    if (created) this.stream = this.createStream(chunk, host);
    if (created || textChanged) this.stream!.set(this.text, !this.busy);
  }

  private createStream(chunk: MarkdownChunk, host: HTMLElement): StreamingMarkdown {
    this.stream?.dispose();
    // The plain text shown while the chunk was loading goes: the renderer owns the children of .markdown.
    host.replaceChildren();
    host.classList.remove('plain');
    return new chunk.StreamingMarkdown(host, {
      onBlockFrozen: (nodes) => this.onBlockFrozen(chunk, nodes),
      onFlush: () => this.afterFlush(chunk),
    });
  }

  /** Also waits for the markdown renderer's chunk, when it was needed, and for the render that uses it. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    if (!this.markdownWait) return done;
    await this.markdownWait;
    return super.getUpdateComplete();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // Detached (scrolled out of the virtualized window, or moved): no frames for an invisible message.
    this.stream?.dispose();
  }

  /** Renders everything received so far right away (instead of at the next animation frame). */
  flush(): void {
    this.stream?.flushNow();
  }

  private onBlockFrozen(chunk: MarkdownChunk, nodes: Node[]): Node[] | void {
    // The block's markdown is complete: only now do its links become clickable and its images loadable.
    chunk.activateBlock(nodes, { imageOrigins: chunk.imageOriginSet(this.imageOrigins), strings: this.strings });
    if (this.streamedHere) this.announce(nodes);
    const code = this.renderers['code-block'] ?? defaultCodeBlock;
    // A closed ```mermaid fence is drawn as a diagram (once; Mermaid is loaded with the first).
    const render: CodeBlockRenderer = (info) =>
      chunk.isDiagramLanguage(info.language) ? chunk.diagramBlock(info.code, info.pre, info.strings) : code(info);
    return decorateCodeBlocks(nodes, render, this.strings);
  }

  private afterFlush(chunk: MarkdownChunk): void {
    // Formulas render once they are complete on screen (KaTeX is loaded with the first); a text without `$`
    // or `\` has none, and is not searched on every frame.
    const host = this.markdownHost;
    if (host && (this.text.includes('$') || this.text.includes('\\'))) void chunk.renderMathIn(host);
    this.announceEnd();
  }

  /** Once the last block of an answer that streamed here is shown (after its own announcement). */
  private announceEnd(): void {
    if (!this.streamedHere || this.status !== 'done' || !this.stream?.renderer.isFinished) return;
    fire(this, 'llc-announce', { text: this.strings.answerDone, once: `${this.messageKey}:end` });
  }

  private announce(nodes: Node[]): void {
    const text = nodes
      .map((n) => {
        if (n instanceof HTMLPreElement)
          return this.strings.codeBlock(/language-(\S+)/.exec(n.querySelector('code')?.className ?? '')?.[1] ?? '');
        return (n.textContent ?? '').trim();
      })
      .filter(Boolean)
      .join(' ');
    if (!text) return;
    fire(this, 'llc-announce', { text });
  }

  private renderStatus() {
    const s = this.strings;
    const line = (text: string, error = false) =>
      html`<div class="status ${error ? 'error' : ''}" part="status">${text}</div>`;
    switch (this.status) {
      case 'queued':
        return line(s.queued(this.queuePosition));
      case 'pending':
        return this.roleName === 'user' ? line(s.pending) : this.text || this.reasoning ? nothing : line(s.thinking);
      case 'streaming':
        return this.text || this.reasoning || this.toolCalls?.length ? nothing : line(s.thinking);
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

import { provide } from '@lit/context';
import { LlcClient, relayPresign, tokenFromEndpoint, type PresignUpload } from '@locallightchat/client';
import { newId } from '@locallightchat/protocol/core';
import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { actionsConverter, ALL_MESSAGE_ACTIONS, type MessageActionName } from './actions/action-names.js';
import { clientContext, conversationContext } from './context.js';
import { KeyboardInsetController } from './controllers/keyboard-inset.js';
import './llc-composer.js';
import type { LlcComposer } from './llc-composer.js';
import './llc-message-list.js';
import type { LlcMessageList } from './llc-message-list.js';
import { MESSAGE_PARTS } from './llc-message.js';
import './llc-status.js';
import type { Renderers, ToolCallOutcome } from './renderers.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';
import { themeStyles } from './theme.js';

const CONVERSATION_KEY = 'llc:conversation';
const DEV_USER_KEY = 'llc:dev-user';

/**
 * A complete chat: transcript, status line and composer, talking to a LocalLightChat relay.
 *
 * ```html
 * <llc-chat relay-url="wss://chat.example.com/ws" token-url="/api/llc-token"></llc-chat>
 * ```
 * Give it a client of your own with the `client` property (then `relay-url`/`token-url` are ignored), or a
 * token function with `getToken`. Without `conversation`, it continues the last conversation of this browser.
 *
 * Keyboard: Enter sends, Shift+Enter starts a new line, Escape stops the answer being generated (from the
 * composer or the transcript), and **F6** or **Alt+ArrowUp / Alt+ArrowDown** move focus between the transcript
 * and the message box. Focus is never moved by incoming messages.
 *
 * @csspart chat - the outer frame
 * @csspart header - wrapper of the header slot
 * @csspart log - the scrolling transcript
 * @csspart row - one message's row in the transcript
 * @csspart jump-button - "Jump to latest"
 * @csspart empty - the empty state's wrapper
 * @csspart message - a message (also message-user / message-assistant)
 * @csspart author - a message's author line
 * @csspart content - a message's body
 * @csspart status - a message's status line
 * @csspart code-block - a finished code block; also code-toolbar, code-language, copy-button, code
 * @csspart status-line - the chat's status region
 * @csspart form - the composer form; also input, send-button, stop-button
 * @slot header - above the transcript
 * @slot empty - shown while the conversation is empty
 * @slot message-actions - a `<template>` cloned under each finished answer; clicks on `[data-action]` elements
 *   in it fire `llc-message-action` with `{ action, messageKey, text }`
 * @fires {CustomEvent<MessageActionEventDetail>} llc-message-action - an action of a message was clicked
 * @fires {CustomEvent<SendEventDetail>} llc-send - before a message is sent (cancelable)
 * @fires {CustomEvent<StopEventDetail>} llc-stop - when the user stops an answer
 * @cssprop --llc-bg - background
 * @cssprop --llc-fg - text colour
 * @cssprop --llc-muted - secondary text
 * @cssprop --llc-accent - buttons and accents (with --llc-accent-fg)
 * @cssprop --llc-border - borders
 * @cssprop --llc-user-bg - background of the user's messages
 * @cssprop --llc-code-bg - code block background (with --llc-code-fg)
 * @cssprop --llc-link - links
 * @cssprop --llc-error - errors
 * @cssprop --llc-focus - focus rings
 * @cssprop --llc-radius - corner radius
 * @cssprop --llc-font - font family
 * @attr theme - `light` or `dark` (default: follows `prefers-color-scheme`)
 * @attr sidebar - show the user's conversations beside the chat (`<llc-conversation-list>`, loaded when shown)
 * @slot sidebar - your own sidebar content instead of the conversation list (with `sidebar`)
 * @csspart sidebar - the sidebar
 * @cssprop --llc-keyboard-inset - set by the element: how much of it an on-screen keyboard covers (px); the chat
 *   pads its bottom by it (the `keyboard-open` attribute is present while it is non-zero)
 * @attr actions - the built-in message actions: `copy regenerate edit feedback` (default), or `none`
 */
@customElement('llc-chat')
export class LlcChat extends LitElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
        height: 100%;
        font-family: var(--llc-font, system-ui, sans-serif);
        color: var(--llc-fg);
        background: var(--llc-bg);
      }
      .chat {
        display: grid;
        grid-template-rows: auto minmax(0, 1fr) auto auto;
        height: 100%;
        min-height: 0;
        box-sizing: border-box;
        /* The part of the chat an on-screen keyboard covers (controllers/keyboard-inset.ts): the composer sits above it. */
        padding-block-end: var(--llc-keyboard-inset, 0px);
      }
      llc-message-list {
        min-height: 0;
        height: 100%;
      }
      .with-sidebar {
        display: grid;
        grid-template-columns: minmax(12rem, 18rem) minmax(0, 1fr);
        height: 100%;
      }
      .sidebar {
        border-inline-end: 1px solid var(--llc-border, #cbd5e1);
        min-height: 0;
        display: flex;
        flex-direction: column;
      }
    `,
  ];

  /** WebSocket URL of the relay. Defaults to `/ws` on this page's host. */
  @property({ attribute: 'relay-url' }) relayUrl?: string;
  /** Endpoint that returns `{ token }` for the current user (POST). */
  @property({ attribute: 'token-url' }) tokenUrl?: string;
  /**
   * Dev mode: `token-url` is the relay's `/auth/dev-token` (a relay started with `--dev`), and the element posts
   * `{ "user": … }` to it. Without it the element posts an empty JSON object: your endpoint knows the user from
   * its own session cookie, never from the page.
   */
  @property({ type: Boolean }) dev = false;
  /**
   * Where files are uploaded, for the client the element makes: the relay's upload endpoint (`/uploads` of a
   * relay started with `uploadDir`), used through `relayPresign`. Without it (and without `presignUpload`), the
   * composer offers no attachments. A client you give brings its own `presignUpload`.
   */
  @property({ attribute: 'upload-url' }) uploadUrl?: string;
  /** Your own presigned-upload hook for the client the element makes (takes precedence over `upload-url`). */
  @property({ attribute: false }) presignUpload?: PresignUpload;
  /** Dev mode only: the user name posted to `token-url` (default: one remembered in this browser). */
  @property() user?: string;
  /** The conversation to show. */
  @property({ reflect: true }) conversation?: string;
  /** `light` or `dark`; unset follows the system. */
  @property({ reflect: true }) theme?: 'light' | 'dark';
  @property({ attribute: false }) getToken?: () => string | Promise<string>;
  /** User-facing strings (partial overrides of DEFAULT_STRINGS), for i18n. */
  @property({ attribute: false }) strings: Partial<ChatStrings> = {};
  /**
   * The built-in actions under each message: `copy` (markdown or text), `regenerate`, `edit`, `feedback`
   * (attribute: names separated by spaces; default all; `none` for none).
   */
  @property({ converter: actionsConverter }) actions: readonly MessageActionName[] = ALL_MESSAGE_ACTIONS;
  /**
   * Shows the user's conversations beside the chat (`<llc-conversation-list>`, imported only when shown); choosing
   * one opens it. An app can put its own content in the `sidebar` slot instead.
   */
  @property({ type: Boolean, reflect: true }) sidebar = false;
  /** Overridable renderers (`code-block`, `tool-call`). */
  @property({ attribute: false }) renderers: Renderers = {};
  /**
   * What the app reports about tool calls it runs after the reader approved them (`llc-tool-decision`), by call
   * id: `running`, `done` / `error` with a result, `denied`. Set a new Map to update. Calls not in it that are
   * complete wait for approval.
   */
  @property({ attribute: false }) toolStates?: ReadonlyMap<string, ToolCallOutcome>;
  /**
   * Origins whose images in answers load without asking (attribute: space-separated, e.g.
   * `image-origins="https://cdn.example.com"`). Any other image shows a placeholder with its host and a
   * "Load image" button, so an answer cannot make the page fetch a URL on its own.
   */
  @property({ attribute: 'image-origins', converter: { fromAttribute: splitOrigins } })
  imageOrigins: readonly string[] = [];

  @provide({ context: clientContext }) @property({ attribute: false }) client?: LlcClient;
  @provide({ context: conversationContext }) conversationId?: string;

  @state() private actionsTemplate?: HTMLTemplateElement;
  @query('llc-message-list') private list?: LlcMessageList;
  @query('llc-composer') private composer?: LlcComposer;
  private ownsClient = false;
  /** Follows the on-screen keyboard (visualViewport) so the composer stays above it. */
  private readonly keyboard = new KeyboardInsetController(this);

  /** How much of the chat an on-screen keyboard covers now, in CSS px (0 without one). */
  get keyboardInset(): number {
    return this.keyboard.inset;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // With token-url or getToken already set (HTML attributes, or a framework that sets properties before it
    // inserts the element) the client exists from here on. React (through @lit/react) sets them just after the
    // insertion: then it is made in the first update, which comes after them.
    if (!this.client && (this.tokenUrl || this.getToken)) this.createClient();
    else if (!this.client) this.requestUpdate();
    this.conversationId = this.conversation ?? rememberedConversation();
    this.addEventListener('keydown', this.onKeyDown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onKeyDown);
    if (this.ownsClient) {
      this.client?.close();
      this.client = undefined;
      this.ownsClient = false;
    }
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (!this.client && this.isConnected) this.createClient();
    if (changed.has('conversation') && this.conversation) this.conversationId = this.conversation;
  }

  /** Starts a new, empty conversation. */
  newConversation(): string {
    const id = newId('c_');
    localStorage.setItem(CONVERSATION_KEY, id);
    this.conversation = id;
    return id;
  }

  /** Moves focus to the transcript (`'transcript'`) or the message box (`'composer'`). */
  focusPart(which: 'transcript' | 'composer'): void {
    if (which === 'transcript') this.list?.focusTranscript();
    else this.composer?.focus();
  }

  override render() {
    const chat = this.renderChat();
    if (!this.sidebar) return chat;
    if (!customElements.get('llc-conversation-list')) void import('./llc-conversation-list.js');
    return html`<div class="with-sidebar">
      <nav class="sidebar" part="sidebar" aria-label=${this.strings.conversations ?? DEFAULT_STRINGS.conversations}>
        <slot name="sidebar"
          ><llc-conversation-list
            .strings=${{ ...DEFAULT_STRINGS, ...this.strings }}
            @llc-conversation-select=${(e: CustomEvent<{ conversationId: string }>) =>
              this.openConversation(e.detail.conversationId)}
          ></llc-conversation-list
        ></slot>
      </nav>
      ${chat}
    </div>`;
  }

  /** Shows another conversation of the user's (and remembers it in this browser). */
  openConversation(conversationId: string): void {
    localStorage.setItem(CONVERSATION_KEY, conversationId);
    this.conversation = conversationId;
  }

  private renderChat() {
    const strings = { ...DEFAULT_STRINGS, ...this.strings };
    return html`<div class="chat" part="chat">
      <div part="header"><slot name="header"></slot></div>
      <slot name="message-actions" hidden @slotchange=${this.onActionsSlot}></slot>
      <llc-message-list
        .strings=${strings}
        .renderers=${this.renderers}
        .imageOrigins=${this.imageOrigins}
        .toolStates=${this.toolStates}
        .actionsTemplate=${this.actionsTemplate}
        .actions=${this.actions}
        exportparts="log, row, jump-button, empty, announcer, ${MESSAGE_PARTS}"
        ><slot name="empty" slot="empty">${strings.empty}</slot></llc-message-list
      >
      <llc-status .strings=${strings} exportparts="status: status-line"></llc-status>
      <llc-composer
        .strings=${strings}
        exportparts="form, input, send-button, stop-button, attach-button, attachments, attachment, attachment-thumbnail, attachment-progress, attachment-remove, attachment-error"
      ></llc-composer>
    </div>`;
  }

  private onActionsSlot(event: Event): void {
    const assigned = (event.target as HTMLSlotElement).assignedElements();
    this.actionsTemplate = assigned.find((e): e is HTMLTemplateElement => e instanceof HTMLTemplateElement);
  }

  private readonly onKeyDown = (event: KeyboardEvent) => {
    const toggle = event.key === 'F6' || (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown'));
    if (toggle) {
      event.preventDefault();
      const inComposer = this.shadowRoot?.activeElement === this.composer;
      this.focusPart(inComposer ? 'transcript' : 'composer');
    } else if (event.key === 'Escape' && !event.defaultPrevented) {
      // The composer handles Escape itself (and marks it handled); this covers the transcript.
      if (this.composer?.stop()) event.preventDefault();
    }
  };

  private createClient(): void {
    const url = this.relayUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const getToken =
      this.getToken ??
      (this.tokenUrl
        ? tokenFromEndpoint(this.tokenUrl, {
            ...(this.dev ? { body: { user: this.user ?? rememberedDevUser() } } : {}),
          })
        : undefined);
    if (!getToken) throw new Error('<llc-chat> needs token-url, getToken or a client');
    const presignUpload = this.presignUpload ?? (this.uploadUrl ? relayPresign(this.uploadUrl) : undefined);
    this.client = new LlcClient({
      url,
      getToken,
      clientName: 'llc-chat/0.1',
      ...(presignUpload ? { presignUpload } : {}),
    });
    this.ownsClient = true;
  }
}

function splitOrigins(value: string | null): string[] {
  return value ? value.split(/\s+/).filter(Boolean) : [];
}

function rememberedConversation(): string {
  let id = localStorage.getItem(CONVERSATION_KEY);
  if (!id) {
    id = newId('c_');
    localStorage.setItem(CONVERSATION_KEY, id);
  }
  return id;
}

/** A stable dev user per browser, so all tabs share conversations. */
function rememberedDevUser(): string {
  let user = localStorage.getItem(DEV_USER_KEY);
  if (!user) {
    user = `dev-${newId().slice(0, 8)}`;
    localStorage.setItem(DEV_USER_KEY, user);
  }
  return user;
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-chat': LlcChat;
  }
}

import { provide } from '@lit/context';
import { LlcClient, tokenFromEndpoint } from '@locallightchat/client';
import { newId } from '@locallightchat/protocol';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';
import './llc-composer.js';
import './llc-message-list.js';
import './llc-status.js';
import { DEFAULT_STRINGS, type ChatStrings } from './strings.js';

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
 * @csspart chat - the outer frame
 * @slot header - above the transcript
 * @slot empty - shown while the conversation is empty
 * @cssprop --llc-bg - background
 * @cssprop --llc-fg - text colour
 * @cssprop --llc-accent - buttons and accents
 * @cssprop --llc-border - borders
 * @cssprop --llc-radius - corner radius
 * @cssprop --llc-font - font family
 */
@customElement('llc-chat')
export class LlcChat extends LitElement {
  static override styles = css`
    :host { display: block; height: 100%; font-family: var(--llc-font, system-ui, sans-serif); color: var(--llc-fg, #0f172a); background: var(--llc-bg, #fff); }
    .chat { display: grid; grid-template-rows: auto 1fr auto auto; height: 100%; min-height: 0; }
    llc-message-list { min-height: 0; }
  `;

  /** WebSocket URL of the relay. Defaults to `/ws` on this page's host. */
  @property({ attribute: 'relay-url' }) relayUrl?: string;
  /** Endpoint that returns `{ token }` for the current user (POST). */
  @property({ attribute: 'token-url' }) tokenUrl?: string;
  /** Dev mode only: the user name posted to `token-url` (remembered in this browser). */
  @property() user?: string;
  /** The conversation to show. */
  @property({ reflect: true }) conversation?: string;
  @property({ attribute: false }) getToken?: () => string | Promise<string>;
  @property({ attribute: false }) strings: Partial<ChatStrings> = {};

  @provide({ context: clientContext }) @property({ attribute: false }) client?: LlcClient;
  @provide({ context: conversationContext }) conversationId?: string;

  private ownsClient = false;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.client) this.createClient();
    this.conversationId = this.conversation ?? rememberedConversation();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.ownsClient) {
      this.client?.close();
      this.client = undefined;
      this.ownsClient = false;
    }
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('conversation') && this.conversation) this.conversationId = this.conversation;
  }

  /** Starts a new, empty conversation. */
  newConversation(): string {
    const id = newId('c_');
    localStorage.setItem(CONVERSATION_KEY, id);
    this.conversation = id;
    return id;
  }

  override render() {
    const strings = { ...DEFAULT_STRINGS, ...this.strings };
    return html`<div class="chat" part="chat">
      <slot name="header"></slot>
      <llc-message-list .strings=${strings}><slot name="empty" slot="empty">${strings.empty}</slot></llc-message-list>
      <llc-status .strings=${strings}></llc-status>
      <llc-composer .strings=${strings}></llc-composer>
    </div>`;
  }

  private createClient(): void {
    const url = this.relayUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const getToken = this.getToken ?? (this.tokenUrl ? tokenFromEndpoint(this.tokenUrl, { body: { user: this.user ?? rememberedDevUser() } }) : undefined);
    if (!getToken) throw new Error('<llc-chat> needs token-url, getToken or a client');
    this.client = new LlcClient({ url, getToken, clientName: 'llc-chat/0.1' });
    this.ownsClient = true;
  }
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

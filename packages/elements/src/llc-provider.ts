import { provide } from '@lit/context';
import type { LlcClient } from '@locallightchat/client';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { clientContext, conversationContext } from './context.js';

/**
 * Provides a client and a conversation (through @lit/context) to the parts placed inside it, so a team can
 * build its own layout from `<llc-message-list>`, `<llc-composer>` and `<llc-status>`:
 *
 * ```html
 * <llc-provider conversation="c_support">
 *   <aside><llc-status></llc-status></aside>
 *   <main><llc-message-list></llc-message-list><llc-composer></llc-composer></main>
 * </llc-provider>
 * ```
 * (set `provider.client = new LlcClient({...})`). It renders nothing of its own.
 *
 * @slot - your layout
 */
@customElement('llc-provider')
export class LlcProvider extends LitElement {
  static override styles = css`
    :host {
      display: contents;
    }
  `;

  /** The client the parts inside use. */
  @provide({ context: clientContext }) @property({ attribute: false }) client?: LlcClient;
  /** The conversation the parts inside show. */
  @provide({ context: conversationContext }) @property() conversation?: string;

  override render() {
    return html`<slot></slot>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'llc-provider': LlcProvider;
  }
}

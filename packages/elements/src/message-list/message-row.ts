/**
 * One row of `<llc-message-list>`: the wrapper the virtualizer measures and places (by a transform through the
 * CSSOM, see css-props.ts) around one `<llc-message>`.
 */
import type { ClientMessage } from '@locallightchat/client';
import { html } from 'lit';
import type { MessageActionName } from '../actions/action-names.js';
import type { PerformAction } from '../actions/message-actions.js';
import { cssProps } from '../directives/css-props.js';
import { MESSAGE_PARTS } from '../llc-message.js';
import type { Renderers, ToolCallOutcome } from '../renderers.js';
import type { ChatStrings } from '../strings.js';

/** What every row shows alike (the list's own properties). */
export interface RowContext {
  strings: ChatStrings;
  renderers: Renderers;
  outcomes: ReadonlyMap<string, ToolCallOutcome> | undefined;
  imageOrigins: readonly string[];
  actionsTemplate: HTMLTemplateElement | undefined;
  actions: readonly MessageActionName[];
  perform: PerformAction | undefined;
}

/**
 * The row of message `m`, at `index` in the list, `start` px from the top when virtualized (else in flow);
 * `last` for the newest message (it carries the padding below the list, see virtual/list-options.ts).
 */
export function messageRow(m: ClientMessage, index: number, start: number | undefined, c: RowContext, last: boolean) {
  return html`<div
    class=${last ? 'row last' : 'row'}
    part="row"
    data-index=${index}
    ${cssProps(start === undefined ? {} : { transform: `translateY(${start}px)` })}
  >
    <llc-message
      role-name=${m.role}
      message-key=${m.key}
      .text=${m.text}
      .reasoning=${m.reasoning}
      .reasoningMs=${m.reasoningMs}
      .toolCalls=${m.toolCalls}
      .attachments=${m.attachments}
      .toolStates=${c.outcomes}
      .status=${m.status}
      .errorMessage=${m.error?.message}
      .queuePosition=${m.queuePosition}
      .finishReason=${m.finishReason}
      .strings=${c.strings}
      .renderers=${c.renderers}
      .imageOrigins=${c.imageOrigins}
      .actionsTemplate=${c.actionsTemplate}
      .actions=${c.actions}
      .perform=${c.perform}
      .messageId=${m.id}
      .siblings=${m.siblings}
      exportparts=${MESSAGE_PARTS}
    ></llc-message>
  </div>`;
}

/**
 * The tool calls of an answer, rendered live under its text: each call's name and arguments as they stream,
 * then "Waiting for approval" with Approve / Deny (which fire `llc-tool-decision`), then the outcome the app
 * reports through `toolStates` (running, done with its result, error, denied). A `tool-call` renderer replaces
 * the default rendering of a call. Arguments and results are shown as text (Lit text bindings), never as HTML.
 */
import type { ToolCallState } from '@locallightchat/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import type { Renderers, ToolCallInfo, ToolCallOutcome, ToolCallStatus } from '../renderers.js';
import type { ChatStrings } from '../strings.js';

/** The status a call shows: its stream first, then the app's outcome. */
export function toolCallStatus(call: ToolCallState, outcome: ToolCallOutcome | undefined): ToolCallStatus {
  if (!call.complete) return 'streaming';
  return outcome?.status ?? 'awaiting-approval';
}

export interface ToolCallsView {
  calls: readonly ToolCallState[] | undefined;
  outcomes: ReadonlyMap<string, ToolCallOutcome> | undefined;
  messageKey: string;
  strings: ChatStrings;
  renderers: Renderers;
  /** Whether the answer is still streaming (a call cut off by a stopped answer is not awaiting approval). */
  settledWithoutEnd: boolean;
  decide: (call: ToolCallState, decision: 'approve' | 'deny') => void;
}

/** Renders the calls (nothing when the answer made none). */
export function renderToolCalls(view: ToolCallsView): TemplateResult | typeof nothing {
  const calls = view.calls;
  if (!calls || calls.length === 0) return nothing;
  return html`<div class="tool-calls" part="tool-calls">
    ${calls.map((call) => {
      const outcome = view.outcomes?.get(call.id);
      const status: ToolCallStatus = !call.complete && view.settledWithoutEnd ? 'error' : toolCallStatus(call, outcome);
      const info: ToolCallInfo = {
        id: call.id,
        name: call.name,
        args: call.arguments,
        status,
        ...(outcome?.result !== undefined ? { result: outcome.result } : {}),
        messageKey: view.messageKey,
        strings: view.strings,
        decide: (decision) => view.decide(call, decision),
      };
      const custom = view.renderers['tool-call'];
      return custom ? custom(info) : defaultToolCall(info);
    })}
  </div>`;
}

/** The default rendering of one call. */
export function defaultToolCall(info: ToolCallInfo): TemplateResult {
  const s = info.strings;
  return html`<section
    class="tool-call"
    part="tool-call"
    data-status=${info.status}
    aria-label=${s.toolCall(info.name)}
    aria-busy=${info.status === 'streaming' || info.status === 'running' ? 'true' : 'false'}
  >
    <div class="tool-call-head">
      <span class="tool-call-name" part="tool-call-name">${info.name}</span>
      <span class="tool-call-status" part="tool-call-status">${s.toolStatus(info.status)}</span>
    </div>
    <pre class="tool-call-args" part="tool-call-args" dir="ltr">${info.args}</pre>
    ${
      info.status === 'awaiting-approval'
        ? html`<div class="tool-call-actions">
            <button type="button" part="tool-approve-button" @click=${() => info.decide('approve')}>
              ${s.approve}
            </button>
            <button type="button" part="tool-deny-button" @click=${() => info.decide('deny')}>${s.deny}</button>
          </div>`
        : nothing
    }
    ${
      info.result !== undefined
        ? html`<pre class="tool-call-result" part="tool-call-result" dir="ltr">${info.result}</pre>`
        : nothing
    }
  </section>`;
}

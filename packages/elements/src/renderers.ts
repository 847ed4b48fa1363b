/**
 * Overridable renderers: `<llc-chat .renderers=${{ 'code-block': myCodeBlock }}>` (or on any `<llc-message>`).
 */
import type { TemplateResult } from 'lit';
import type { CodeBlockRenderer } from './code/code-block.js';
import type { ChatStrings } from './strings.js';

/**
 * Where a tool call is: its arguments still `streaming`; complete and `awaiting-approval`; then what the app
 * reports through `toolStates` — `running`, `done`, `error`, or `denied` by the reader.
 */
export type ToolCallStatus = 'streaming' | 'awaiting-approval' | 'running' | 'done' | 'error' | 'denied';

/** What the app reports about a call it was asked to run (`<llc-chat>.toolStates`, keyed by call id). */
export interface ToolCallOutcome {
  status: 'running' | 'done' | 'error' | 'denied';
  /** The result (or the error) as text, shown with the call. */
  result?: string;
}

/** What a tool-call renderer receives: one call of an answer, live. */
export interface ToolCallInfo {
  id: string;
  name: string;
  /** The arguments' JSON text so far (partial while `streaming`). */
  args: string;
  status: ToolCallStatus;
  result?: string;
  messageKey: string;
  strings: ChatStrings;
  /** Fires `llc-tool-decision` for this call (what the default renderer's Approve / Deny buttons do). */
  decide: (decision: 'approve' | 'deny') => void;
}

export interface Renderers {
  /** Replaces the default code block (toolbar, copy button, lazy highlighting) once a fence has closed. */
  'code-block'?: CodeBlockRenderer;
  /** Replaces the default rendering of one tool call (name, arguments, state, Approve / Deny, result). */
  'tool-call'?: (info: ToolCallInfo) => TemplateResult | Node;
}

export type { CodeBlockInfo, CodeBlockRenderer } from './code/code-block.js';

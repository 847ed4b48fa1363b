/**
 * Overridable renderers: `<llc-chat .renderers=${{ 'code-block': myCodeBlock }}>` (or on any `<llc-message>`).
 */
import type { TemplateResult } from 'lit';
import type { CodeBlockRenderer } from './code/code-block.js';

/** What a tool-call renderer receives: an answer that ended with `finish_reason: tool_calls`. */
export interface ToolCallInfo {
  text: string;
  messageKey: string;
}

export interface Renderers {
  /** Replaces the default code block (toolbar, copy button, lazy highlighting) once a fence has closed. */
  'code-block'?: CodeBlockRenderer;
  /** Renders an answer that ended in tool calls instead of showing its text as markdown. */
  'tool-call'?: (info: ToolCallInfo) => TemplateResult | Node;
}

export type { CodeBlockInfo, CodeBlockRenderer } from './code/code-block.js';

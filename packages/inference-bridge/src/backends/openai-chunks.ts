/**
 * Reading one `data:` line of a chat-completions stream. Tolerant where servers differ (missing fields, `null`
 * content, either reasoning field name), strict where meaning would be lost (unknown finish reasons map to
 * `stop` only when they mean "done"; malformed JSON is an error).
 */
import type { BackendFinishReason, ToolCallDelta, Usage } from '../backend.js';
import { readErrorObject, type ServerErrorInfo } from './openai-errors.js';
import { readToolCallDeltas } from './openai-tool-calls.js';

/** What one `data:` line of a chat-completions stream says. */
export type ChunkReading =
  | { kind: 'done' }
  | { kind: 'error'; error: ServerErrorInfo }
  | { kind: 'malformed'; reason: string }
  | {
      kind: 'chunk';
      /** Content text of choice 0 ('' when none). */
      text: string;
      /** Reasoning text of choice 0 (`delta.reasoning`, or legacy `delta.reasoning_content`). */
      reasoning: string;
      /** `delta.tool_calls` of choice 0 ([] when none). */
      toolCalls: ToolCallDelta[];
      finishReason?: BackendFinishReason;
      usage?: Usage;
    };

const FINISH_REASONS: Record<string, BackendFinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  abort: 'abort',
  // OpenAI's content filter ends the answer like a stop.
  content_filter: 'stop',
};

/** Reads one `data:` payload: `[DONE]`, an error object, a malformed line, or a chunk of choice 0. */
export function readChunk(data: string): ChunkReading {
  if (data === '[DONE]') return { kind: 'done' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: 'malformed', reason: `a data line is not JSON: ${data.slice(0, 120)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'malformed', reason: 'a data line is not a JSON object' };
  const error = readErrorObject(value);
  if (error) return { kind: 'error', error };
  const chunk = value as Record<string, unknown>;
  const out: Extract<ChunkReading, { kind: 'chunk' }> = { kind: 'chunk', text: '', reasoning: '', toolCalls: [] };
  const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
  // n = 1: only choice 0 is ours (a server might still send others; they are ignored).
  const choice = choices.find(
    (c) => typeof c === 'object' && c !== null && ((c as Record<string, unknown>).index ?? 0) === 0,
  ) as Record<string, unknown> | undefined;
  if (choice) {
    const delta =
      typeof choice.delta === 'object' && choice.delta !== null ? (choice.delta as Record<string, unknown>) : {};
    if (typeof delta.content === 'string') out.text = delta.content;
    // Legacy completions-style chunks carry `text` instead of a delta.
    else if (typeof choice.text === 'string') out.text = choice.text;
    const reasoning =
      typeof delta.reasoning === 'string'
        ? delta.reasoning
        : typeof delta.reasoning_content === 'string'
          ? delta.reasoning_content
          : '';
    out.reasoning = reasoning;
    const toolCalls = readToolCallDeltas(delta.tool_calls);
    if ('malformed' in toolCalls) return { kind: 'malformed', reason: toolCalls.malformed };
    out.toolCalls = toolCalls;
    if (typeof choice.finish_reason === 'string') {
      const mapped = FINISH_REASONS[choice.finish_reason];
      if (!mapped) return { kind: 'malformed', reason: `unknown finish_reason "${choice.finish_reason}"` };
      out.finishReason = mapped;
    }
  }
  const usage = chunk.usage;
  if (typeof usage === 'object' && usage !== null) {
    const u = usage as Record<string, unknown>;
    if (typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number') {
      out.usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
    }
  }
  return out;
}

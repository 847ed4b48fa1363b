/**
 * Putting tool calls together from the parts in token batches, written once for every layer that needs the
 * whole calls (the relay persisting an answer, the client showing it).
 */
import type { ChatMessage, StoredToolCall, ToolCallPart, ToolResult } from './frames.js';

/** A tool call as its parts have built it so far. */
export interface ToolCallState extends StoredToolCall {
  index: number;
  /** Its end part arrived: the arguments are complete. */
  complete: boolean;
}

/** Applies `parts` (in order) to `calls`, kept sorted by index; returns `calls`. */
export function applyToolCallParts(calls: ToolCallState[], parts: readonly ToolCallPart[]): ToolCallState[] {
  for (const part of parts) {
    let call = calls.find((c) => c.index === part.index);
    if (!call) {
      call = { index: part.index, id: `call_${part.index}`, name: '', arguments: '', complete: false };
      calls.push(call);
      calls.sort((a, b) => a.index - b.index);
    }
    if (part.id !== undefined) call.id = part.id;
    if (part.name !== undefined) call.name = part.name;
    if (part.args !== undefined) call.arguments += part.args;
    if (part.end) call.complete = true;
  }
  return calls;
}

/** The stored form of calls (index and completeness dropped). */
export function storedToolCalls(calls: readonly ToolCallState[]): StoredToolCall[] {
  return calls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args }));
}

/**
 * Why `results` cannot be the results of the previous answer's tool calls, or undefined when they can: each
 * `toolCallId` must name a call of the last assistant message in `history` (oldest first), and at most once.
 * The relay refuses a `send` with such results before storing anything (else a client could attach results to
 * calls the model never made, and the model would read them as its own).
 */
export function toolResultsProblem(
  history: readonly ChatMessage[],
  results: readonly ToolResult[],
): string | undefined {
  if (results.length === 0) return undefined;
  const previous = history.findLast((m) => m.role === 'assistant');
  const calls = new Set((previous?.toolCalls ?? []).map((c) => c.id));
  if (calls.size === 0) return 'tool results need an answer that called tools: the previous answer made no tool calls';
  const answered = new Set<string>();
  for (const { toolCallId } of results) {
    if (!calls.has(toolCallId))
      return `"${toolCallId}" is not a tool call of the previous answer (its calls: ${[...calls].join(', ')})`;
    if (answered.has(toolCallId)) return `two results for the tool call "${toolCallId}"`;
    answered.add(toolCallId);
  }
  return undefined;
}

/**
 * Putting tool calls together from the parts in token batches, written once for every layer that needs the
 * whole calls (the relay persisting an answer, the client showing it).
 */
import type { StoredToolCall, ToolCallPart } from './frames.js';

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

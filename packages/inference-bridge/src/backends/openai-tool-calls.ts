/**
 * Streamed tool calls as vLLM emits them (`delta.tool_calls`, OpenAI's shape): each entry names the call by its
 * `index` in the turn; the first entry of a call carries its `id`, `type: "function"` and `function.name`, later
 * ones carry `function.arguments` fragments (pieces of a JSON text, cut anywhere). One chunk may hold several
 * entries, for several calls or for the same call twice (vLLM's hermes parser sends a call's name and its first
 * argument fragment together), and `tool_calls: []` beside plain content. Reading is strict about types (a
 * wrong one is a malformed stream) and tolerant about absent fields.
 */

import type { ToolCallDelta } from '../backend.js';

/** A tool call put together from its deltas. */
export interface AssembledToolCall {
  index: number;
  id: string;
  name: string;
  /** The arguments' JSON text, as the model wrote it. */
  arguments: string;
}

/** Reads `delta.tool_calls`: the entries, or a reason why the value is malformed. */
export function readToolCallDeltas(value: unknown): ToolCallDelta[] | { malformed: string } {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return { malformed: 'delta.tool_calls is not an array' };
  const out: ToolCallDelta[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return { malformed: 'a tool_calls entry is not an object' };
    const e = entry as Record<string, unknown>;
    if (typeof e.index !== 'number' || !Number.isInteger(e.index) || e.index < 0 || e.index > 1024)
      return { malformed: 'a tool_calls entry has no valid index' };
    const delta: ToolCallDelta = { index: e.index };
    if (e.id !== undefined && e.id !== null && e.id !== '') {
      if (typeof e.id !== 'string') return { malformed: 'a tool call id is not a string' };
      delta.id = e.id;
    }
    const fn = e.function;
    if (fn !== undefined && fn !== null) {
      if (typeof fn !== 'object') return { malformed: 'a tool call function is not an object' };
      const f = fn as Record<string, unknown>;
      if (f.name !== undefined && f.name !== null) {
        if (typeof f.name !== 'string') return { malformed: 'a tool call name is not a string' };
        delta.name = f.name;
      }
      if (f.arguments !== undefined && f.arguments !== null) {
        if (typeof f.arguments !== 'string') return { malformed: 'tool call arguments are not a string' };
        if (f.arguments !== '') delta.arguments = f.arguments;
      }
    }
    out.push(delta);
  }
  return out;
}

/**
 * Puts tool calls together from their deltas, in index order. A fragment for an index whose start (id and name)
 * has not arrived is kept and joined once it does; a call that never got an id is given one, `call_<index>`,
 * so that its result can still be matched to it.
 */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id?: string; name?: string; arguments: string }>();

  add(deltas: readonly ToolCallDelta[]): void {
    for (const d of deltas) {
      let call = this.#calls.get(d.index);
      if (!call) {
        call = { arguments: '' };
        this.#calls.set(d.index, call);
      }
      // As the official client does: an id or a name replaces what was there (vLLM sends each once per call).
      if (d.id !== undefined) call.id = d.id;
      if (d.name !== undefined) call.name = d.name;
      if (d.arguments !== undefined) call.arguments += d.arguments;
    }
  }

  get size(): number {
    return this.#calls.size;
  }

  /** The calls so far, in index order. */
  calls(): AssembledToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({ index, id: c.id ?? `call_${index}`, name: c.name ?? '', arguments: c.arguments }));
  }
}

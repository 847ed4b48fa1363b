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

/**
 * The part of a plain content chunk before its choice, as vLLM writes it (`"choices":[` then the choice), and the
 * part after the content string. Key order and spacing are vLLM's (pydantic's compact dump).
 */
const CONTENT_OPEN = '"choices":[{"index":0,"delta":{"content":';
const CONTENT_CLOSE = '},"logprobs":null,"finish_reason":null}]}';
/** The fields a learned head may hold: those a chunk carries besides `choices` and that {@link readChunk} ignores. */
const HEAD_FIELDS = new Set(['id', 'object', 'created', 'model', 'system_fingerprint']);
/** A JSON string's inside that is its own text: no quote, no backslash, no control character. */
const NEEDS_DECODING = /["\\\u0000-\u001f]/;

/**
 * Reads one stream's `data:` payloads as {@link readChunk} does, faster for the chunk that is nearly all of them.
 *
 * Why: JSON.parse of each ~200-byte chunk, and the objects it builds, were the largest single cost of the bridge's
 * read path (readChunk 14.5 % of the bridge's CPU at 5,000 streams, bench/bridge/run-bridge.mjs --profile). A
 * stream's chunks share their head (id, object, created, model) byte for byte, and most hold only a content
 * delta. The head is learned from a chunk that parsed as such, and checked once: followed by `"choices":[]}` it
 * must parse to an object of only {@link HEAD_FIELDS} — so it ends where a key may begin, and nothing in it
 * changes a chunk's meaning. A later payload that is that head, a content delta whose value is one valid JSON
 * string, and vLLM's closing bytes is read by slicing out the string (JSON.parse of the string alone when it
 * holds escapes): the same reading a full parse gives. Anything else (role, reasoning, tool calls, a finish,
 * usage, errors, another server's layout) is parsed whole.
 */
export class ChunkReader {
  private head: string | undefined;
  private tried = false;

  read(data: string): ChunkReading {
    const head = this.head;
    // Slices compared with === rather than startsWith / endsWith: on Node 20 the latter made the whole read
    // 0.72 µs per payload against 0.22 µs (bench/bridge/chunk-read.mjs, 2026-12-06).
    const to = data.length - CONTENT_CLOSE.length;
    if (head !== undefined && data.slice(0, head.length) === head && data.slice(to) === CONTENT_CLOSE) {
      const from = head.length + CONTENT_OPEN.length;
      if (to - from >= 2 && data.slice(head.length, from) === CONTENT_OPEN) {
        const text = stringValue(data.slice(from, to));
        if (text !== undefined) return { kind: 'chunk', text, reasoning: '', toolCalls: [] };
      }
    }
    const reading = readChunk(data);
    if (!this.tried && reading.kind === 'chunk' && reading.text) this.learn(data);
    return reading;
  }

  /** Learns the head of a parsed content chunk (once per stream, whether or not it qualifies). */
  private learn(data: string): void {
    this.tried = true;
    const at = data.indexOf(CONTENT_OPEN);
    if (at <= 0 || !data.endsWith(CONTENT_CLOSE)) return;
    const head = data.slice(0, at);
    let value: unknown;
    try {
      value = JSON.parse(`${head}"choices":[]}`);
    } catch {
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const fields = Object.keys(value);
    if (fields.every((field) => field === 'choices' || HEAD_FIELDS.has(field))) this.head = head;
  }
}

/** The value of `literal` when it is exactly one JSON string, else undefined. */
function stringValue(literal: string): string | undefined {
  if (literal.charCodeAt(0) !== 0x22 || literal.charCodeAt(literal.length - 1) !== 0x22) return undefined;
  const inside = literal.slice(1, -1);
  if (!NEEDS_DECODING.test(inside)) return inside;
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

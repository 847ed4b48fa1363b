/**
 * Turning engine output into HTTP responses, the way vLLM's API server does:
 *
 * - Streaming: 200 headers at once; the role chunk only when the first token exists; content chunks; a final
 *   chunk with the finish reason (carrying the last step's text, `""` after EOS); the usage chunk when asked;
 *   `data: [DONE]`. Tokens are flushed once per event-loop turn, and not at all while the socket is
 *   backpressured, so a delta carries every token produced since the last write — several when steps were
 *   batched or the client reads slowly (vLLM coalesces the same way). With `--stream-interval N` (vLLM's engine
 *   setting, default 1), the first token goes out at once and later ones only once N are unsent (the rest with
 *   the finish), as vLLM's output processor does.
 * - Non-streaming: one JSON body when the sequence ends.
 * - Client gone (socket closed): the sequence is aborted in the engine, which frees its KV cache.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ApiErrors } from './api-errors.js';
import type { SequenceHandle } from './engine.js';
import type { PreparedRequest } from './requests.js';
import type { FinishReason, SequenceListener, SequenceResult } from './sequence.js';
import type { GeneratedToken } from './text-generator.js';
import {
  SSE_DONE,
  chatCompletionJson,
  chatDeltaChunk,
  chatFinalChunk,
  chatRoleChunk,
  chatToolDeltaChunk,
  chatToolFinalChunk,
  completionChunk,
  completionJson,
  usageChunk,
  type ResponseIdentity,
  type ToolCallEntry,
  type UsageCounts,
} from './wire.js';

/** vLLM's tool call ids: `chatcmpl-tool-` and 32 hex digits (a random UUID without dashes). */
export function toolCallId(): string {
  return `chatcmpl-tool-${randomUUID().replace(/-/g, '')}`;
}

/** Adds a tool token to pending entries: a start entry for a call's first token, then argument fragments. */
function addToolToken(entries: ToolCallEntry[], token: GeneratedToken, ids: Map<number, string>): void {
  const tool = token.tool!;
  if (tool.name !== undefined) {
    const id = toolCallId();
    ids.set(tool.index, id);
    entries.push({ index: tool.index, type: 'function', id, function: { name: tool.name } });
  }
  const last = entries.at(-1);
  if (last && last.index === tool.index && 'arguments' in last.function) last.function.arguments += token.text;
  else entries.push({ index: tool.index, function: { arguments: token.text } });
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } as const;

abstract class Responder implements SequenceListener {
  protected closed = false;
  protected handle?: SequenceHandle;
  /** Tokens produced so far (EOS excluded). */
  protected tokens = 0;

  constructor(
    protected readonly res: ServerResponse,
    protected readonly prepared: PreparedRequest,
    protected readonly ident: ResponseIdentity,
    /** Injected failure after this many tokens. */
    protected readonly failAfterTokens?: number,
  ) {
    res.on('close', () => {
      if (this.closed) return;
      // The client went away before the answer was complete: abort like vLLM's `with_cancellation`.
      this.closed = true;
      this.handle?.abort();
    });
  }

  attach(handle: SequenceHandle): void {
    this.handle = handle;
    if (this.closed) handle.abort();
  }

  onToken(token: GeneratedToken): void {
    if (this.closed) return;
    if (this.failAfterTokens !== undefined && this.tokens >= this.failAfterTokens) {
      this.fail();
      return;
    }
    this.tokens++;
    this.accept(token);
  }

  abstract onFinish(reason: FinishReason, result: SequenceResult): void;
  protected abstract accept(token: GeneratedToken): void;
  protected abstract fail(): void;

  protected finishResponse(): void {
    this.closed = true;
    this.res.end();
  }

  protected usage(result: SequenceResult): UsageCounts {
    return { promptTokens: result.promptTokens, completionTokens: result.completionTokens };
  }
}

/** Server-sent events for `stream: true`. */
export class StreamResponder extends Responder {
  private roleSent = false;
  private content = '';
  private reasoning = '';
  /** Tool-call entries not written yet, and whether this turn called tools at all. */
  private tools: ToolCallEntry[] = [];
  private readonly toolIds = new Map<number, string>();
  private flushQueued = false;
  private draining = false;
  /** Tokens accepted but not written yet, and whether any was written (the first goes out at once). */
  private unsent = 0;
  private sentAny = false;

  constructor(
    res: ServerResponse,
    prepared: PreparedRequest,
    ident: ResponseIdentity,
    failAfterTokens?: number,
    /** vLLM `--stream-interval`. */
    private readonly streamInterval = 1,
  ) {
    super(res, prepared, ident, failAfterTokens);
  }

  /** Sends the 200 headers now: vLLM's headers go out before the first token. */
  begin(): void {
    this.res.writeHead(200, SSE_HEADERS);
    this.res.flushHeaders();
  }

  protected accept(token: GeneratedToken): void {
    if (this.prepared.kind === 'chat' && !this.roleSent) {
      this.roleSent = true;
      this.write(chatRoleChunk(this.ident, this.runningUsage(0)));
    }
    if (token.tool) addToolToken(this.tools, token, this.toolIds);
    else if (token.reasoning) this.reasoning += token.text;
    else this.content += token.text;
    this.unsent++;
    if (this.sentAny && this.unsent < this.streamInterval) return;
    if (this.flushQueued || this.draining) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /**
   * Writes everything pending as one delta (unless the socket asks us to wait, or — unless `force` — fewer
   * tokens than the stream interval are pending after the first).
   */
  private flush(force = false): void {
    if (this.closed || this.draining) return;
    if (!force && this.sentAny && this.unsent < this.streamInterval) return;
    const { content, reasoning } = this.takePending();
    const tools = this.tools;
    this.tools = [];
    if (content === undefined && reasoning === undefined && tools.length === 0) return;
    this.unsent = 0;
    this.sentAny = true;
    const usage = this.runningUsage(this.tokens);
    let chunk = '';
    if (tools.length > 0) chunk = chatToolDeltaChunk(this.ident, tools, usage);
    else if (this.prepared.kind === 'completion') chunk = completionChunk(this.ident, content ?? '', null, usage);
    else {
      const field = this.prepared.reasoningField ?? 'reasoning';
      // Reasoning precedes content, so a pending mix is written as two deltas in that order.
      chunk =
        reasoning !== undefined && content !== undefined
          ? chatDeltaChunk(this.ident, { reasoning }, field, usage) +
            chatDeltaChunk(this.ident, { content }, field, usage)
          : chatDeltaChunk(this.ident, content !== undefined ? { content } : { reasoning: reasoning! }, field, usage);
    }
    if (!this.write(chunk)) {
      this.draining = true;
      this.res.once('drain', () => {
        this.draining = false;
        this.flush();
      });
    }
  }

  private takePending(): { content?: string; reasoning?: string } {
    const out: { content?: string; reasoning?: string } = {};
    if (this.reasoning) out.reasoning = this.reasoning;
    if (this.content) out.content = this.content;
    this.content = '';
    this.reasoning = '';
    return out;
  }

  onFinish(reason: FinishReason, result: SequenceResult): void {
    if (this.closed) return;
    const usage = this.usage(result);
    const running = this.prepared.continuousUsage ? usage : undefined;
    const pending = this.takePending();
    let out = '';
    if (this.prepared.kind === 'chat') {
      const field = this.prepared.reasoningField ?? 'reasoning';
      // Role chunk even when the first sampled token was EOS: vLLM emits it on the first output.
      if (!this.roleSent && reason !== 'abort') out += chatRoleChunk(this.ident, this.runningUsage(0));
      this.roleSent = true;
      if (pending.reasoning !== undefined && pending.content !== undefined) {
        out += chatDeltaChunk(this.ident, { reasoning: pending.reasoning }, field, running);
        delete pending.reasoning;
      }
      const tools = this.tools;
      this.tools = [];
      if (this.toolIds.size > 0 && reason === 'stop') {
        // The model ended its turn with calls: vLLM's final chunk carries the last fragments and "tool_calls".
        out += chatToolFinalChunk(this.ident, tools, running);
      } else {
        if (tools.length > 0) out += chatToolDeltaChunk(this.ident, tools, running);
        out += chatFinalChunk(this.ident, pending, field, reason, running);
      }
    } else {
      out += completionChunk(this.ident, pending.content ?? '', reason, running);
    }
    if (this.prepared.includeUsage)
      out += usageChunk(this.ident, this.prepared.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', usage);
    out += SSE_DONE;
    this.write(out);
    this.finishResponse();
  }

  protected fail(): void {
    // Tokens already produced reach the client before the error, as they would from vLLM.
    this.flushNowIgnoringBackpressure();
    this.write(ApiErrors.internal().toSseEvent() + SSE_DONE);
    this.finishResponse();
    this.handle?.abort();
  }

  private flushNowIgnoringBackpressure(): void {
    this.draining = false;
    this.flush(true);
  }

  private runningUsage(completionTokens: number): UsageCounts | undefined {
    return this.prepared.continuousUsage ? { promptTokens: this.prepared.promptTokens, completionTokens } : undefined;
  }

  private write(chunk: string): boolean {
    return this.res.write(chunk);
  }
}

/** One JSON body for `stream: false`. */
export class JsonResponder extends Responder {
  private content = '';
  private reasoning = '';
  private readonly toolCalls: { id: string; name: string; arguments: string }[] = [];

  protected accept(token: GeneratedToken): void {
    if (token.tool?.name !== undefined) this.toolCalls.push({ id: toolCallId(), name: token.tool.name, arguments: '' });
    if (token.tool) this.toolCalls[this.toolCalls.length - 1]!.arguments += token.text;
    else if (token.reasoning) this.reasoning += token.text;
    else this.content += token.text;
  }

  onFinish(reason: FinishReason, result: SequenceResult): void {
    if (this.closed) return;
    const usage = this.usage(result);
    const body =
      this.prepared.kind === 'chat'
        ? chatCompletionJson(
            this.ident,
            this.content,
            this.prepared.reasoningField ? this.reasoning : undefined,
            this.prepared.reasoningField ?? 'reasoning',
            reason,
            usage,
            this.toolCalls,
          )
        : completionJson(this.ident, this.content, reason, usage);
    this.res.writeHead(200, { 'content-type': 'application/json' });
    this.res.end(body);
    this.closed = true;
  }

  protected fail(): void {
    const error = ApiErrors.internal();
    this.res.writeHead(error.status, { 'content-type': 'application/json' });
    this.res.end(error.toJson());
    this.closed = true;
    this.handle?.abort();
  }
}

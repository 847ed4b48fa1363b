/**
 * `SimulatorBackend`: the simulator's engine in-process, without HTTP. Same validation, text, faults and
 * event semantics as `OpenAIBackend` against `llc-vllm-sim` — the shared conformance suite checks that — but
 * no sockets, so thousands of streams cost only the engine's bookkeeping.
 */
import {
  InferenceError,
  kindForStatus,
  type InferenceBackend,
  type InferenceErrorKind,
  type InferenceEvent,
  type InferenceRequest,
} from '@locallightchat/inference-bridge';
import { SimulatorCore, type SimulatorCoreOptions } from '../core.js';
import type { FinishReason, SequenceResult } from '../sequence.js';
import { SimApiError, prepareChat, type PreparedRequest } from '../requests.js';

export interface SimulatorBackendOptions extends SimulatorCoreOptions {
  /** Use an existing simulator (e.g. one also served over HTTP); otherwise one is created from the options. */
  core?: SimulatorCore;
  /** Name for logs and metrics (default `simulator`). */
  name?: string;
  /** No first token within this many ms → `timeout` (as OpenAIBackend's option). */
  ttftTimeoutMs?: number;
}

type Item =
  | { kind: 'token'; text: string; reasoning: boolean }
  | { kind: 'finish'; reason: FinishReason; result: SequenceResult };

export class SimulatorBackend implements InferenceBackend {
  readonly name: string;
  readonly core: SimulatorCore;
  private readonly ttftTimeoutMs: number | undefined;

  constructor(options: SimulatorBackendOptions = {}) {
    this.core = options.core ?? new SimulatorCore(options);
    this.name = options.name ?? 'simulator';
    this.ttftTimeoutMs = options.ttftTimeoutMs;
  }

  /** Stops the engine (when this backend created it, or whenever the caller is done with it). */
  close(): void {
    this.core.close();
  }

  async *stream(request: InferenceRequest, signal: AbortSignal): AsyncGenerator<InferenceEvent, void, undefined> {
    const backend = this.name;
    let beforeFirstToken = true;
    const error = (kind: InferenceErrorKind, message: string, extra: { status?: number; retryAfterMs?: number } = {}) =>
      new InferenceError(kind, message, { backend, beforeFirstToken, ...extra });
    if (signal.aborted) throw error('aborted', 'the request was aborted before it was sent');

    const fault = this.core.faults.next();
    if (fault.kind === 'dead') throw error('server', 'the simulated engine is dead', { status: 500 });
    if (fault.kind === 'reject') {
      throw error('overloaded', `rejected with ${fault.status} (injected)`, {
        status: fault.status,
        ...(fault.retryAfterSeconds > 0 ? { retryAfterMs: fault.retryAfterSeconds * 1000 } : {}),
      });
    }
    let prepared: PreparedRequest;
    try {
      prepared = prepareChat(this.body(request), this.core.serving);
    } catch (cause) {
      if (cause instanceof SimApiError)
        throw error(kindForStatus(cause.status, cause.message), cause.message, { status: cause.status });
      throw cause;
    }
    const full = this.core.queueFull();
    if (full) throw error('overloaded', full.message, { status: full.status });

    const items: Item[] = [];
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    let timedOut = false;
    let ttftTimer: ReturnType<typeof setTimeout> | undefined;
    if (this.ttftTimeoutMs !== undefined && this.ttftTimeoutMs > 0) {
      ttftTimer = setTimeout(() => {
        timedOut = true;
        notify();
      }, this.ttftTimeoutMs);
    }
    const onAbort = () => notify();
    signal.addEventListener('abort', onAbort, { once: true });
    // A hung request never reaches the engine; it only ends by abort or timeout.
    const handle =
      fault.kind === 'hang'
        ? undefined
        : this.core.engine.submit(
            {
              id: `chatcmpl-${request.requestId}`,
              promptTokens: prepared.promptTokens,
              maxTokens: prepared.maxTokens,
              priority: prepared.priority,
              source: prepared.source,
            },
            {
              onToken: (token) => {
                items.push({ kind: 'token', text: token.text, reasoning: token.reasoning });
                notify();
              },
              onFinish: (reason, result) => {
                items.push({ kind: 'finish', reason, result });
                notify();
              },
            },
          );
    const failAfter = fault.kind === 'fail' ? fault.afterTokens : undefined;
    let delivered = 0;
    try {
      for (;;) {
        if (signal.aborted) throw error('aborted', 'the request was aborted');
        if (timedOut && beforeFirstToken)
          throw error('timeout', `no first token from ${backend} within ${this.ttftTimeoutMs} ms`);
        if (items.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        // Everything produced since the last read becomes one delta, as over HTTP.
        let text = '';
        let reasoning = '';
        let finish: Extract<Item, { kind: 'finish' }> | undefined;
        let failNow = false;
        for (const item of items.splice(0)) {
          if (item.kind === 'finish') {
            finish = item;
            break;
          }
          if (failAfter !== undefined && delivered >= failAfter) {
            failNow = true;
            break;
          }
          delivered++;
          if (item.reasoning) reasoning += item.text;
          else text += item.text;
        }
        if (ttftTimer && (text || reasoning || finish)) {
          clearTimeout(ttftTimer);
          ttftTimer = undefined;
        }
        if (text || reasoning) {
          beforeFirstToken = false;
          yield reasoning ? { type: 'delta', text, reasoning } : { type: 'delta', text };
        }
        if (failNow) throw error('server', 'Internal server error', { status: 500 });
        if (signal.aborted) throw error('aborted', 'the request was aborted');
        if (finish) {
          const { promptTokens, completionTokens } = finish.result;
          yield { type: 'end', finishReason: finish.reason, usage: { promptTokens, completionTokens } };
          return;
        }
      }
    } finally {
      if (ttftTimer) clearTimeout(ttftTimer);
      signal.removeEventListener('abort', onAbort);
      handle?.abort();
    }
  }

  /** The request as the HTTP body OpenAIBackend would send. */
  private body(request: InferenceRequest): Record<string, unknown> {
    return {
      ...(request.model !== undefined ? { model: request.model } : {}),
      messages: request.messages,
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.priority ? { priority: request.priority } : {}),
    };
  }
}

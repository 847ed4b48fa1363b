/**
 * `SimulatorBackend`: the simulator's engine in-process, without HTTP. Same validation, text, faults and
 * event semantics as `OpenAIBackend` against `llc-vllm-sim` — the shared conformance suite checks that — but
 * no sockets, so thousands of streams cost only the engine's bookkeeping.
 */
import type {
  InferenceBackend,
  InferenceEvent,
  InferenceRequest,
  ToolCallDelta,
} from '@locallightchat/inference-bridge';
import { toolCallId } from '../responders.js';
import {
  chatCompletionBody,
  guardFirstToken,
  kindForStatus,
  type StreamExchange,
} from '@locallightchat/inference-bridge/backend-kit';
import { DEFAULT_SIMULATOR_CORE_OPTIONS, SimulatorCore, type SimulatorCoreOptions } from '../core.js';
import { withDefaults } from '../options.js';
import type { FaultDecision } from '../faults.js';
import type { FinishReason, SequenceListener, SequenceResult } from '../sequence.js';
import type { GeneratedToken } from '../text-generator.js';
import { SimApiError } from '../api-errors.js';
import { prepareChat, type PreparedRequest } from '../requests.js';

/**
 * Settings of a {@link SimulatorBackend}: a replica's (or an existing core), a name and a first-token timeout;
 * defaults in {@link DEFAULT_SIMULATOR_BACKEND_OPTIONS}.
 */
export interface SimulatorBackendOptions extends SimulatorCoreOptions {
  /** Use an existing simulator (e.g. one also served over HTTP); otherwise one is created from the options. */
  core?: SimulatorCore;
  /** Name for logs and metrics. */
  name?: string;
  /** No first token within this many ms → `timeout` (as OpenAIBackend's option); undefined = no timeout. */
  ttftTimeoutMs?: number;
}

/** The defaults of {@link SimulatorBackendOptions}: those of the core, and the name `simulator`. */
export const DEFAULT_SIMULATOR_BACKEND_OPTIONS: typeof DEFAULT_SIMULATOR_CORE_OPTIONS &
  Required<Pick<SimulatorBackendOptions, 'name'>> = { ...DEFAULT_SIMULATOR_CORE_OPTIONS, name: 'simulator' };

/** `options` over {@link DEFAULT_SIMULATOR_BACKEND_OPTIONS} (the core's settings are checked when the core is built). */
export function resolveSimulatorBackendOptions(
  options: SimulatorBackendOptions = {},
): SimulatorBackendOptions & typeof DEFAULT_SIMULATOR_BACKEND_OPTIONS {
  return withDefaults(DEFAULT_SIMULATOR_BACKEND_OPTIONS, options);
}

type Item =
  | { kind: 'token'; text: string; reasoning: boolean; tool?: GeneratedToken['tool'] }
  | { kind: 'finish'; reason: FinishReason; result: SequenceResult };

/** What the engine produced since the last read, as one delta (the way HTTP coalesces it). */
interface Batch {
  text: string;
  reasoning: string;
  /** Tool-call deltas in this batch, as `OpenAIBackend` reads them from vLLM's stream. */
  toolCalls: ToolCallDelta[];
  /** Tokens in this batch. */
  tokens: number;
  finish?: Extract<Item, { kind: 'finish' }>;
  /** An injected failure is due before the next token. */
  fail: boolean;
}

/** The simulator as an InferenceBackend in-process (see the module note). */
export class SimulatorBackend implements InferenceBackend {
  readonly name: string;
  readonly core: SimulatorCore;
  private readonly ttftTimeoutMs: number | undefined;

  constructor(backendOptions: SimulatorBackendOptions = {}) {
    const options = resolveSimulatorBackendOptions(backendOptions);
    this.core = options.core ?? new SimulatorCore(options);
    this.name = options.name;
    this.ttftTimeoutMs = options.ttftTimeoutMs;
  }

  /** Stops the engine (when this backend created it, or whenever the caller is done with it). */
  close(): void {
    this.core.close();
  }

  stream(request: InferenceRequest, signal: AbortSignal): AsyncGenerator<InferenceEvent, void, undefined> {
    return guardFirstToken((exchange) => this.events(request, exchange), {
      signal,
      ttftMs: this.ttftTimeoutMs,
      backend: this.name,
    });
  }

  /** One request through the engine: its tokens as deltas, then `end`; injected faults on the way. */
  private async *events(
    request: InferenceRequest,
    exchange: StreamExchange,
  ): AsyncGenerator<InferenceEvent, void, undefined> {
    const fault = this.core.faults.next();
    const prepared = this.admit(request, fault, exchange);
    const inbox = new Inbox(exchange.signal);
    // A hung request never reaches the engine; it only ends by abort or timeout.
    const handle =
      fault.kind === 'hang'
        ? undefined
        : this.core.engine.submit(
            {
              id: `chatcmpl-${request.requestId}`,
              promptTokens: prepared.promptTokens,
              promptTokenIds: prepared.promptTokenIds,
              maxTokens: prepared.maxTokens,
              priority: prepared.priority,
              source: prepared.source,
            },
            inbox,
          );
    // Tokens still to deliver before an injected failure.
    let budget = fault.kind === 'fail' ? fault.afterTokens : Infinity;
    let calledTools = false;
    try {
      for (;;) {
        const cut = exchange.interruption();
        if (cut) throw cut;
        const items = inbox.take();
        if (items.length === 0) {
          await inbox.wait();
          continue;
        }
        const batch = coalesce(items, budget);
        budget -= batch.tokens;
        if (batch.text || batch.reasoning || batch.toolCalls.length > 0) {
          if (batch.toolCalls.length > 0) calledTools = true;
          yield {
            type: 'delta',
            text: batch.text,
            ...(batch.reasoning ? { reasoning: batch.reasoning } : {}),
            ...(batch.toolCalls.length > 0 ? { toolCalls: batch.toolCalls } : {}),
          };
        }
        if (batch.fail) throw exchange.error('server', 'Internal server error', { status: 500 });
        if (batch.finish) {
          const { promptTokens, completionTokens } = batch.finish.result;
          const finishReason = calledTools && batch.finish.reason === 'stop' ? 'tool_calls' : batch.finish.reason;
          yield { type: 'end', finishReason, usage: { promptTokens, completionTokens } };
          return;
        }
      }
    } finally {
      inbox.close();
      handle?.abort();
    }
  }

  /** What happens before the engine, in the HTTP server's order: injected faults, validation, the queue limit. */
  private admit(request: InferenceRequest, fault: FaultDecision, exchange: StreamExchange): PreparedRequest {
    if (fault.kind === 'dead') throw exchange.error('server', 'the simulated engine is dead', { status: 500 });
    if (fault.kind === 'reject') {
      throw exchange.error('overloaded', `rejected with ${fault.status} (injected)`, {
        status: fault.status,
        ...(fault.retryAfterSeconds > 0 ? { retryAfterMs: fault.retryAfterSeconds * 1000 } : {}),
      });
    }
    let prepared: PreparedRequest;
    try {
      prepared = prepareChat(chatCompletionBody(request, request.model), this.core.serving);
    } catch (cause) {
      if (cause instanceof SimApiError)
        throw exchange.error(kindForStatus(cause.status, cause.message), cause.message, { status: cause.status });
      throw cause;
    }
    const full = this.core.queueFull();
    if (full) throw exchange.error('overloaded', full.message, { status: full.status });
    return prepared;
  }
}

/** The engine's callbacks for one sequence, queued until the stream reads them. */
class Inbox implements SequenceListener {
  private items: Item[] = [];
  private wake: (() => void) | undefined;
  private readonly notify = () => {
    this.wake?.();
    this.wake = undefined;
  };

  /** `signal` (the exchange's: abort, timeout) wakes a waiting reader too. */
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.notify, { once: true });
  }

  onToken(token: GeneratedToken): void {
    this.items.push({
      kind: 'token',
      text: token.text,
      reasoning: token.reasoning,
      ...(token.tool ? { tool: token.tool } : {}),
    });
    this.notify();
  }

  onFinish(reason: FinishReason, result: SequenceResult): void {
    this.items.push({ kind: 'finish', reason, result });
    this.notify();
  }

  /** Everything queued since the last call. */
  take(): Item[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /** Resolves at the next item, abort or timeout. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  close(): void {
    this.signal.removeEventListener('abort', this.notify);
  }
}

/**
 * Everything produced since the last read becomes one delta, as over HTTP. Stops at the finish, or where an
 * injected failure is due (`budget` tokens left before it).
 */
function coalesce(items: readonly Item[], budget: number): Batch {
  const batch: Batch = { text: '', reasoning: '', toolCalls: [], tokens: 0, fail: false };
  for (const item of items) {
    if (item.kind === 'finish') {
      batch.finish = item;
      break;
    }
    if (batch.tokens >= budget) {
      batch.fail = true;
      break;
    }
    batch.tokens++;
    if (item.tool) {
      const last = batch.toolCalls.at(-1);
      if (item.tool.name !== undefined)
        batch.toolCalls.push({ index: item.tool.index, id: toolCallId(), name: item.tool.name, arguments: item.text });
      else if (last && last.index === item.tool.index) last.arguments = (last.arguments ?? '') + item.text;
      else batch.toolCalls.push({ index: item.tool.index, arguments: item.text });
    } else if (item.reasoning) batch.reasoning += item.text;
    else batch.text += item.text;
  }
  return batch;
}

/**
 * One request inside the simulated engine (vLLM's `Request`): prompt length, progress and timestamps.
 */
import type { CachedSequence } from './kv-cache.js';
import type { GeneratedToken, TokenSource } from './text-generator.js';

/** Why a sequence finished, as vLLM reports it (`abort` = client gone or aborted by the server). */
export type FinishReason = 'stop' | 'length' | 'abort';

/** What `Engine.submit` takes: one request's prompt length, limit, priority and answer. */
export interface SequenceSpec {
  /** Request id (vLLM's request_id, e.g. `chatcmpl-…`). */
  id: string;
  promptTokens: number;
  /** Completion limit; reaching it finishes with `length`. */
  maxTokens: number;
  /** Lower runs first under the `priority` policy. */
  priority?: number;
  /** The answer; exhausted = EOS (finish reason `stop`). */
  source: TokenSource;
  /**
   * The prompt's token ids (length `promptTokens`), for prefix caching. Without them the prompt is treated as
   * unique: never a cache hit, never cached.
   */
  promptTokenIds?: ArrayLike<number>;
}

/** Timings in simulated ms. */
export interface SequenceResult {
  promptTokens: number;
  completionTokens: number;
  arrivalMs: number;
  firstScheduledMs?: number;
  firstTokenMs?: number;
  finishMs: number;
  preemptions: number;
  /** Prompt tokens served from the prefix cache at first admission. */
  cachedPromptTokens: number;
}

/** Told about one sequence's tokens and its end, synchronously from the step loop. */
export interface SequenceListener {
  /** One generated token (EOS is not reported here; it ends the sequence with `stop`). */
  onToken(token: GeneratedToken): void;
  onFinish(reason: FinishReason, result: SequenceResult): void;
}

export type SequenceState = 'waiting' | 'running' | 'finished';

export class Sequence implements CachedSequence {
  readonly id: string;
  readonly promptTokens: number;
  readonly maxTokens: number;
  readonly priority: number;
  readonly source: TokenSource;
  state: SequenceState = 'waiting';
  /** Tokens whose KV is computed. */
  computed = 0;
  /** Tokens sampled so far (including EOS). */
  generated = 0;
  /** Prompt and sampled token ids (undefined: not cacheable). */
  readonly tokenIds: number[] | undefined;
  blockIds: number[] = [];
  readonly blockHashes: number[] = [];
  cachedBlocks = 0;
  /** Prompt tokens found in the prefix cache when first admitted. */
  cachedPromptTokens = 0;
  preemptions = 0;
  firstScheduledMs?: number;
  firstTokenMs?: number;
  lastTokenMs?: number;
  finishMs?: number;

  constructor(
    spec: SequenceSpec,
    readonly listener: SequenceListener,
    readonly arrivalMs: number,
    /** Tie-breaker that keeps FIFO order among equal priorities. */
    readonly arrivalOrder: number,
  ) {
    this.id = spec.id;
    this.promptTokens = spec.promptTokens;
    this.maxTokens = spec.maxTokens;
    this.priority = spec.priority ?? 0;
    this.source = spec.source;
    this.tokenIds = spec.promptTokenIds ? Array.from(spec.promptTokenIds) : undefined;
  }

  /** KV blocks held. */
  get kvBlocks(): number {
    return this.blockIds.length;
  }

  /** Prompt plus generated tokens: what must be computed before the next token can be sampled. */
  get knownTokens(): number {
    return this.promptTokens + this.generated;
  }

  /** Tokens this sequence would process if scheduled now: 1 when decoding, the rest of the prefill otherwise. */
  get remaining(): number {
    return this.knownTokens - this.computed;
  }

  /** Decoding (past the prompt, one token per step) rather than (re)filling the prompt. */
  get decoding(): boolean {
    return this.generated > 0 && this.remaining === 1;
  }

  /** Priority order: lower `priority` first, then earlier arrival. */
  before(other: Sequence): boolean {
    return this.priority !== other.priority ? this.priority < other.priority : this.arrivalOrder < other.arrivalOrder;
  }

  result(): SequenceResult {
    return {
      promptTokens: this.promptTokens,
      completionTokens: this.generated,
      arrivalMs: this.arrivalMs,
      ...(this.firstScheduledMs !== undefined ? { firstScheduledMs: this.firstScheduledMs } : {}),
      ...(this.firstTokenMs !== undefined ? { firstTokenMs: this.firstTokenMs } : {}),
      finishMs: this.finishMs ?? this.lastTokenMs ?? this.arrivalMs,
      preemptions: this.preemptions,
      cachedPromptTokens: this.cachedPromptTokens,
    };
  }
}

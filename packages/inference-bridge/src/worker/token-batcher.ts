/**
 * Turns a stream of deltas into token batches: the first delta is emitted at once (time to first token is what
 * users feel), later ones are collected for `windowMs` or until `maxChars`, then emitted as one batch. Fewer,
 * larger frames cost the relay and the sockets far less than one frame per token, and 10–20 ms is below what
 * a reader can perceive.
 */
import type { ToolCallPart } from '@locallightchat/protocol';
import { withDefaults } from '../options.js';

/** What the batcher emits: the text, reasoning and tool-call parts held since the last batch. */
export interface Batch {
  text: string;
  reasoning: string;
  tools: ToolCallPart[];
}

/** Settings of a {@link TokenBatcher}; defaults in {@link DEFAULT_TOKEN_BATCHER_OPTIONS}. */
export interface TokenBatcherOptions {
  /** Later deltas are held at most this long, ms. */
  windowMs?: number;
  /** …or until this many characters (text and reasoning) are held. */
  maxChars?: number;
}

/** The defaults of {@link TokenBatcherOptions} (15 ms is below what a reader can perceive; see above). */
export const DEFAULT_TOKEN_BATCHER_OPTIONS: Required<TokenBatcherOptions> = { windowMs: 15, maxChars: 4096 };

/** `options` over {@link DEFAULT_TOKEN_BATCHER_OPTIONS}. */
export function resolveTokenBatcherOptions(options: TokenBatcherOptions = {}): Required<TokenBatcherOptions> {
  return withDefaults(DEFAULT_TOKEN_BATCHER_OPTIONS, options);
}

/** Batches one stream's deltas (see the module note). */
export class TokenBatcher {
  private text = '';
  private reasoning = '';
  private tools: ToolCallPart[] = [];
  /** Characters of tool-call text held (arguments, ids, names), for `maxChars`. */
  private toolChars = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private emittedFirst = false;
  private reasoningFrom: number | undefined;
  private reasoningTo: number | undefined;

  private readonly options: Required<TokenBatcherOptions>;

  constructor(
    options: TokenBatcherOptions,
    private readonly emit: (batch: Batch) => void,
  ) {
    this.options = resolveTokenBatcherOptions(options);
  }

  /** True once the first batch went out. */
  get started(): boolean {
    return this.emittedFirst;
  }

  /**
   * How long the model reasoned, ms: from the first reasoning delta to the first answer text after it (or to
   * now, when no answer text came). Undefined when there was no reasoning.
   */
  get reasoningMs(): number | undefined {
    if (this.reasoningFrom === undefined) return undefined;
    return Math.max(0, Math.round((this.reasoningTo ?? performance.now()) - this.reasoningFrom));
  }

  push(text: string, reasoning = '', tools: readonly ToolCallPart[] = []): void {
    if (!text && !reasoning && tools.length === 0) return;
    for (const part of tools) {
      this.tools.push(part);
      this.toolChars += (part.args?.length ?? 0) + (part.id?.length ?? 0) + (part.name?.length ?? 0) + 8;
    }
    if (reasoning && this.reasoningFrom === undefined) this.reasoningFrom = performance.now();
    if (text && this.reasoningFrom !== undefined && this.reasoningTo === undefined)
      this.reasoningTo = performance.now();
    this.text += text;
    this.reasoning += reasoning;
    if (!this.emittedFirst) {
      this.emittedFirst = true;
      return this.flush();
    }
    if (this.text.length + this.reasoning.length + this.toolChars >= this.options.maxChars) return this.flush();
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.windowMs);
  }

  /** Emits whatever is held (also called at the end of the stream). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.text && !this.reasoning && this.tools.length === 0) return;
    const batch = { text: this.text, reasoning: this.reasoning, tools: this.tools };
    this.text = '';
    this.reasoning = '';
    this.tools = [];
    this.toolChars = 0;
    this.emit(batch);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

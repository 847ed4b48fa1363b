/**
 * Turns a stream of deltas into token batches: the first delta is emitted at once (time to first token is what
 * users feel), later ones are collected for `windowMs` or until `maxChars`, then emitted as one batch. Fewer,
 * larger frames cost the relay and the sockets far less than one frame per token, and 10–20 ms is below what
 * a reader can perceive.
 */
export interface Batch {
  text: string;
  reasoning: string;
}

export interface TokenBatcherOptions {
  windowMs: number;
  maxChars: number;
}

export class TokenBatcher {
  private text = '';
  private reasoning = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private emittedFirst = false;

  constructor(
    private readonly options: TokenBatcherOptions,
    private readonly emit: (batch: Batch) => void,
  ) {}

  /** True once the first batch went out. */
  get started(): boolean {
    return this.emittedFirst;
  }

  push(text: string, reasoning = ''): void {
    if (!text && !reasoning) return;
    this.text += text;
    this.reasoning += reasoning;
    if (!this.emittedFirst) {
      this.emittedFirst = true;
      return this.flush();
    }
    if (this.text.length + this.reasoning.length >= this.options.maxChars) return this.flush();
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.windowMs);
  }

  /** Emits whatever is held (also called at the end of the stream). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.text && !this.reasoning) return;
    const batch = { text: this.text, reasoning: this.reasoning };
    this.text = '';
    this.reasoning = '';
    this.emit(batch);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

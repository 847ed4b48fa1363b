/**
 * Coalesces many "something changed" signals into one callback per animation frame: a stream delivering
 * hundreds of token batches per second causes at most one render per frame.
 */
export class FrameScheduler {
  #handle: number | undefined;
  readonly #callback: () => void;

  constructor(callback: () => void) {
    this.#callback = callback;
  }

  schedule(): void {
    if (this.#handle !== undefined) return;
    this.#handle = requestAnimationFrame(() => {
      this.#handle = undefined;
      this.#callback();
    });
  }

  cancel(): void {
    if (this.#handle !== undefined) cancelAnimationFrame(this.#handle);
    this.#handle = undefined;
  }
}

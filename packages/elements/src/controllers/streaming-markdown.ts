/**
 * The rendering pipeline of one message: received text is buffered, and once per animation frame the
 * FlushPlanner decides how much of it to show; the IncrementalMarkdown renderer then re-parses only the open
 * tail. A finished message that was never streamed (history) is rendered in one go.
 */
import { IncrementalMarkdown, type IncrementalOptions } from '../markdown/incremental.js';
import { FLUSH_EARLY_MS, FlushPlanner, type FlushPlannerOptions } from './flush-planner.js';

export interface StreamingMarkdownOptions extends IncrementalOptions {
  planner?: FlushPlannerOptions;
  /** Called after each frame's flush (e.g. to let a virtualized list re-measure). */
  onFlush?: () => void;
}

export class StreamingMarkdown {
  readonly renderer: IncrementalMarkdown;
  readonly planner: FlushPlanner;
  #text = '';
  #final = false;
  #handle: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The flush's task, posted from a frame (see `schedule`). */
  #task: ReturnType<typeof setTimeout> | undefined;
  readonly #options: StreamingMarkdownOptions = {};

  constructor(container: HTMLElement, options: StreamingMarkdownOptions = {}) {
    this.#options = options;
    this.renderer = new IncrementalMarkdown(container, options);
    this.planner = new FlushPlanner(options.planner);
  }

  /** The latest text of the message; `final` once the answer is complete (done, stopped or failed). */
  set(text: string, final: boolean): void {
    if (text === this.#text && final === this.#final) return;
    const fresh = !extends_(text, this.#text) || this.renderer.isFinished;
    this.#text = text;
    this.#final = final;
    if (final && (fresh || this.planner.revealed === 0)) {
      // Nothing of it streamed here: render it at once, no animation.
      this.#cancel();
      this.planner.receive(text.length);
      this.planner.drain();
      this.renderer.finish(text);
      this.#options.onFlush?.();
      return;
    }
    if (fresh && this.renderer.isFinished) this.renderer.reset();
    this.planner.receive(text.length);
    this.#schedule();
  }

  /** Renders everything received right now (tests, or before the element is detached). */
  flushNow(): void {
    this.#cancel();
    this.planner.drain();
    this.#render();
  }

  /** Stops scheduling frames (the element left the document); `resume()` picks up where it stopped. */
  dispose(): void {
    this.#cancel();
  }

  /** Schedules the next flush again if anything is left to show. */
  resume(): void {
    if (this.planner.pending > 0 || (this.#final && !this.renderer.isFinished)) this.#schedule();
  }

  /**
   * Asks for the next frame, or, while the planner would skip it (the last flush was too recent), first sleeps
   * until the planner may flush again: a frame requested only to be skipped still costs the browser a commit,
   * and that was a tenth of a stream's main-thread time. At 60 Hz the planner's 20 ms fall between the frame
   * after a flush and the one after that, so the stream wakes after the first and flushes in the second.
   */
  #schedule(): void {
    if (this.#handle !== undefined || this.#timer !== undefined || this.#task !== undefined) return;
    const wait = this.planner.nextFlushAt - performance.now();
    // Within a millisecond the flush counts as due: a shorter timer fires at once (or 4 ms late, once nested).
    if (wait > FLUSH_EARLY_MS) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#schedule();
      }, wait);
      return;
    }
    this.#handle = requestAnimationFrame(() => {
      this.#handle = undefined;
      // The flush runs in a task of its own right after this frame, not inside it: in the frame's task it
      // added its re-parse and re-sanitise of the open block to the frame's style, layout and paint (and, in
      // <llc-message-list>, to the list's render and measurements), and at 4× CPU throttle that sum made most
      // of a 10k-token stream's long tasks. Shown one frame later (the next frame renders it), still aligned to
      // frames and never run while the page is hidden.
      this.#task = setTimeout(() => {
        this.#task = undefined;
        this.#frame();
      }, 0);
    });
  }

  #cancel(): void {
    if (this.#handle !== undefined) cancelAnimationFrame(this.#handle);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#task !== undefined) clearTimeout(this.#task);
    this.#handle = undefined;
    this.#timer = undefined;
    this.#task = undefined;
  }

  #frame(): void {
    // The clock of `schedule`, not the frame's timestamp: that can be a vsync time from before the timer fired.
    const count = this.planner.plan(performance.now());
    if (count > 0 || (this.#final && this.planner.pending === 0 && !this.renderer.isFinished)) {
      const started = performance.now();
      this.#render();
      this.planner.record(count, performance.now() - started);
    }
    if (this.planner.pending > 0 || (this.#final && !this.renderer.isFinished)) this.#schedule();
  }

  #render(): void {
    let end = this.planner.revealed;
    // Never cut a surrogate pair in half (an emoji would flash as U+FFFD).
    if (end < this.#text.length && isHighSurrogate(this.#text.charCodeAt(end - 1))) end++;
    const visible = this.#text.slice(0, end);
    if (this.#final && end >= this.#text.length) this.renderer.finish(this.#text);
    else this.renderer.update(visible);
    this.#options.onFlush?.();
  }
}

/**
 * Whether `text` continues `previous`. An answer only grows, so comparing the length and the last stretch of
 * the previous text is enough, and keeps this O(1) instead of O(length) per chunk (a full prefix comparison
 * made streaming quadratic). A replaced text (another answer) differs in that stretch.
 */
function extends_(text: string, previous: string): boolean {
  if (text.length < previous.length) return false;
  const from = Math.max(0, previous.length - 256);
  return text.startsWith(previous.slice(from), from);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * The "Thinking" part of an answer: the model's reasoning (`TokenFrame.reasoning`) in a disclosure widget.
 * Open while the model reasons and nothing of the answer exists yet; closed by default once the answer starts
 * (the reader can open it, and their choice wins from then on). Its summary says how long the model thought:
 * the bridge's measure (`reasoningMs`, from the stream's end or history) when known, else the time this page saw
 * it reasoning. The text is shown as plain text (reasoning is a draft, not a formatted answer), through Lit's
 * text bindings, so nothing in it is ever parsed as HTML.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatStrings } from '../strings.js';

/** What the part needs from its message. */
export interface ReasoningState {
  reasoning: string;
  /** The bridge's measure, when known. */
  reasoningMs: number | undefined;
  /** Answer text so far. */
  text: string;
  /** Whether the answer is still being produced. */
  busy: boolean;
}

/** Tracks what the page saw of one message's reasoning: timing, the reader's open/closed choice, the announcement. */
export class ReasoningTracker {
  #startedAt: number | undefined;
  #endedAt: number | undefined;
  /** The reader toggled the part: their choice, instead of the automatic one. */
  #chosenOpen: boolean | undefined;
  #announced = false;
  /** The open state last rendered, to tell the reader's toggles from ours. */
  #renderedOpen = false;

  /** Updates the timing from the latest state; returns the announcement to make (once per message), if any. */
  observe(state: ReasoningState, strings: ChatStrings): string | undefined {
    if (!state.reasoning) return undefined;
    const now = performance.now();
    if (state.busy && this.#startedAt === undefined) this.#startedAt = now;
    if (this.#startedAt !== undefined && this.#endedAt === undefined && (state.text || !state.busy))
      this.#endedAt = now;
    if (this.#announced || this.#endedAt === undefined) return undefined;
    this.#announced = true;
    const ms = this.durationMs(state);
    return ms === undefined ? strings.thoughtDone : strings.thoughtFor(Math.max(1, Math.round(ms / 1000)));
  }

  /** The best known duration, ms. */
  durationMs(state: ReasoningState): number | undefined {
    if (state.reasoningMs !== undefined) return state.reasoningMs;
    if (this.#startedAt === undefined) return undefined;
    return (this.#endedAt ?? performance.now()) - this.#startedAt;
  }

  /** Whether the part is shown open. */
  isOpen(state: ReasoningState): boolean {
    if (this.#chosenOpen !== undefined) return this.#chosenOpen;
    return state.busy && !state.text;
  }

  /** A `toggle` event of the part: a change we did not render is the reader's choice. */
  readonly onToggle = (event: Event): void => {
    const open = (event.target as HTMLDetailsElement).open;
    if (open === this.#renderedOpen) return;
    this.#chosenOpen = open;
    this.#renderedOpen = open;
  };

  /** Renders the part (nothing when the answer has no reasoning). */
  render(state: ReasoningState, strings: ChatStrings): TemplateResult | typeof nothing {
    if (!state.reasoning) return nothing;
    this.#renderedOpen = this.isOpen(state);
    const thinking = state.busy && !state.text;
    const ms = this.durationMs(state);
    const label = thinking
      ? strings.thinking
      : ms === undefined
        ? strings.thoughtDone
        : strings.thoughtFor(Math.max(1, Math.round(ms / 1000)));
    return html`<details
      class="reasoning"
      part="reasoning"
      ?open=${this.#renderedOpen}
      @toggle=${this.onToggle}
      aria-busy=${thinking ? 'true' : 'false'}
    >
      <summary part="reasoning-summary">${label}</summary>
      <div class="reasoning-text" part="reasoning-text">${state.reasoning}</div>
    </details>`;
  }
}

/**
 * Feeds one polite live region so that a listener can follow: each finished block (never a token) is offered
 * with {@link Announcer.say}, and announcements are spaced at least {@link MIN_ANNOUNCE_GAP_MS} apart. What is
 * offered meanwhile is merged into the next announcement (in order), instead of a burst of additions that screen
 * readers cut short or drop. Each announcement is one new paragraph in the region (read as an addition); only
 * the last few are kept so the region stays small.
 *
 * Some things must be said once only (an answer started, an answer finished), even when the element that
 * offers them is re-created (the transcript is virtualized): those carry a key, and a key is spoken once.
 */

/** Shortest time between two announcements, ms. */
export const MIN_ANNOUNCE_GAP_MS = 400;
const KEEP = 4;
const REMEMBERED_KEYS = 500;

/** One announcement as spoken: the (merged) text and when it was added to the region (`performance.now()`). */
export interface Announcement {
  text: string;
  at: number;
}

export class Announcer {
  /** Everything announced so far (newest last), for tests and debugging; capped. */
  readonly history: string[] = [];
  /** The same with the time of each, for tests and the bench (spacing); capped. */
  readonly spoken: Announcement[] = [];
  readonly #region: () => HTMLElement | null | undefined;
  readonly #pending: string[] = [];
  readonly #keys = new Set<string>();
  #lastAt = -Infinity;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(region: () => HTMLElement | null | undefined) {
    this.#region = region;
  }

  /** Offers text for announcement; with `onceKey`, only the first offer under that key is spoken. */
  say(text: string, onceKey?: string): void {
    const trimmed = text.replace(/\s+/g, ' ').trim();
    if (!trimmed) return;
    if (onceKey !== undefined) {
      if (this.#keys.has(onceKey)) return;
      this.#keys.add(onceKey);
      if (this.#keys.size > REMEMBERED_KEYS) this.#keys.delete(this.#keys.values().next().value!);
    }
    this.#pending.push(trimmed);
    if (this.#timer === undefined) this.#speakWhenDue();
  }

  /** Drops what is waiting (the transcript is gone). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.length = 0;
  }

  /** Speaks now if the gap has passed, else sets a timer (timers round and may fire early: checked again). */
  #speakWhenDue(): void {
    this.#timer = undefined;
    const wait = this.#lastAt + MIN_ANNOUNCE_GAP_MS - performance.now();
    if (wait <= 0) this.#speak();
    else this.#timer = setTimeout(() => this.#speakWhenDue(), Math.ceil(wait) + 1);
  }

  #speak(): void {
    const text = this.#pending.splice(0).join(' ');
    if (!text) return;
    this.#lastAt = performance.now();
    this.history.push(text);
    this.spoken.push({ text, at: this.#lastAt });
    if (this.history.length > 100) this.history.shift();
    if (this.spoken.length > 100) this.spoken.shift();
    const region = this.#region();
    if (!region) return;
    const p = document.createElement('p');
    p.textContent = text;
    region.append(p);
    while (region.childElementCount > KEEP) region.firstElementChild?.remove();
  }
}

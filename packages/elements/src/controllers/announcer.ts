/**
 * Feeds one polite live region. Each finished block (never a token) becomes one new paragraph in the region,
 * which screen readers announce as an addition; only the last few are kept so the region stays small.
 */
const KEEP = 4;

export class Announcer {
  /** Everything announced so far (newest last), for tests and debugging; capped. */
  readonly history: string[] = [];
  readonly #region: () => HTMLElement | null | undefined;

  constructor(region: () => HTMLElement | null | undefined) {
    this.#region = region;
  }

  say(text: string): void {
    const trimmed = text.replace(/\s+/g, ' ').trim();
    if (!trimmed) return;
    this.history.push(trimmed);
    if (this.history.length > 100) this.history.shift();
    const region = this.#region();
    if (!region) return;
    const p = document.createElement('p');
    p.textContent = trimmed;
    region.append(p);
    while (region.childElementCount > KEEP) region.firstElementChild?.remove();
  }
}

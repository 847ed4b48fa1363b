/**
 * `<llc-message-list>` before its virtualizer's chunk is there (or when it cannot be loaded): the newest messages
 * as plain rows in normal flow, more of them each time the reader nears the top, the view kept at the end while
 * the reader is there (also while a row grows: a streaming answer, as the virtualizer would) and in place when
 * more rows show above. Once the virtualizer has taken over, it does nothing.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Distance from the top (px) at which more rows show, then the next older page is requested. */
export const LOAD_OLDER_AT = 200;
/** How many newest messages show, and how many more each time the reader nears the top. */
const PAGE = 40;

/** What the rows read of the list. */
export interface PlainRowsView {
  /** The scrolling log, once rendered. */
  log(): HTMLElement | undefined;
  /** Whether the view follows the newest message. */
  atEnd(): boolean;
  /** Whether the virtualizer has the rows. */
  virtualized(): boolean;
  /** How many messages are shown in all. */
  count(): number;
}

export class PlainRows implements ReactiveController {
  /** How many of the newest messages show. */
  #count = PAGE;
  /** The distance from the content's end to the view's top to restore after more rows show above. */
  #keepFromEnd?: number;
  /** Keeps the view at the end (or in place) while the rows change size. */
  #resize?: ResizeObserver;
  /** Where the list itself last scrolled the log to. */
  #ownScrollTop?: number;
  readonly #host: ReactiveControllerHost & { readonly renderRoot: ParentNode };
  readonly #view: PlainRowsView;

  constructor(host: ReactiveControllerHost & { readonly renderRoot: ParentNode }, view: PlainRowsView) {
    this.#host = host;
    this.#view = view;
    host.addController(this);
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** The rows to render (the newest messages), with their index among all. */
  rows(items: readonly { key: string }[]): { key: string; index: number }[] {
    const first = Math.max(0, items.length - this.#count);
    return items.slice(first).map((m, i) => ({ key: m.key, index: first + i }));
  }

  /** The index of the first message whose bottom is below the view's top (the message being read). */
  topIndex(): number | undefined {
    const top = this.#view.log()?.getBoundingClientRect().top ?? 0;
    for (const row of this.#host.renderRoot.querySelectorAll<HTMLElement>('.row'))
      if (row.getBoundingClientRect().bottom > top) return Number(row.dataset['index']);
    return undefined;
  }

  /** Stops following the rows' size (the virtualizer has them, or the list is gone). */
  stop(): void {
    this.#resize?.disconnect();
    this.#resize = undefined;
  }

  /** After a render with plain rows: at the end while the reader is there, in place when more show above, more near the top. */
  updated(): void {
    const log = this.#view.log();
    if (!log) return;
    const revealing = this.#keepFromEnd !== undefined;
    this.#keepPlace(log);
    const spacer = this.#host.renderRoot.querySelector('.spacer');
    if (spacer && !this.#resize) {
      this.#resize = new ResizeObserver(() => {
        const log = this.#view.log();
        if (this.#view.virtualized() || !log) return;
        this.#keepPlace(log);
        this.#keepFromEnd = undefined;
        if (log.scrollTop < LOAD_OLDER_AT) this.showMore();
      });
      this.#resize.observe(spacer);
    }
    // Older history arrived while the reader is near the top. (Rows just made have no height yet: after showing
    // more, or at the end, the resize observer checks once they do.)
    if (!revealing && !this.#view.atEnd() && log.scrollTop < LOAD_OLDER_AT) this.showMore();
  }

  /** Shows more of the messages already here above the view, which stays in place; false when all show. */
  showMore(): boolean {
    const log = this.#view.log();
    if (!log || this.#view.virtualized() || this.#view.count() <= this.#count) return false;
    if (this.#keepFromEnd !== undefined) return true; // Already showing more: their height is not known yet.
    this.#keepFromEnd = log.scrollHeight - log.scrollTop;
    this.#count += PAGE;
    this.#host.requestUpdate();
    return true;
  }

  /**
   * A scroll event of the log: whether the list itself made it (its event comes later, maybe after the rows
   * grew, and is not the reader leaving the end); otherwise the place kept for rows shown above is dropped.
   */
  ownScroll(): boolean {
    if (!this.#view.virtualized() && this.#view.log()?.scrollTop === this.#ownScrollTop) return true;
    this.#keepFromEnd = undefined;
    return false;
  }

  /**
   * At the end while the reader is there, else where they were reading when more rows were shown above. Done
   * after each update and again once the new rows have their height (the resize observer).
   */
  #keepPlace(log: HTMLElement): void {
    const top = this.#view.atEnd()
      ? log.scrollHeight
      : this.#keepFromEnd !== undefined
        ? log.scrollHeight - this.#keepFromEnd
        : undefined;
    if (top === undefined) return;
    log.scrollTop = top;
    this.#ownScrollTop = log.scrollTop;
  }
}

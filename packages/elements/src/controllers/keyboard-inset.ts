/**
 * Keeps a chat's composer above a phone's on-screen keyboard. When the keyboard opens, iOS Safari (and Chrome
 * on Android with the default `interactive-widget=resizes-visual`) shrink only the visual viewport: the layout
 * viewport, and so `100dvh` and `position: fixed`, stay as tall as before and the keyboard covers the bottom of
 * the page, where the composer is (WebKit bug 141832). This controller measures how far the host's box reaches
 * below the visible part of the page (`visualViewport`) and publishes it as the CSS custom property
 * `--llc-keyboard-inset` on the host (and the `keyboard-open` attribute while it is non-zero); the chat pads its
 * bottom by it, so the composer sits just above the keyboard. The property is set through the CSSOM
 * (`style.setProperty`), which a strict CSP without 'unsafe-inline' allows.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The custom property the controller sets on its host, in px. */
export const KEYBOARD_INSET_PROPERTY = '--llc-keyboard-inset';

export class KeyboardInsetController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #inset = 0;
  #frame: number | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  /** The current inset in CSS px (0 when nothing covers the host). */
  get inset(): number {
    return this.#inset;
  }

  hostConnected(): void {
    const viewport = globalThis.visualViewport;
    if (!viewport) return; // No Visual Viewport API (very old browsers): nothing to follow.
    viewport.addEventListener('resize', this.#schedule);
    viewport.addEventListener('scroll', this.#schedule);
    this.#schedule();
  }

  hostDisconnected(): void {
    const viewport = globalThis.visualViewport;
    viewport?.removeEventListener('resize', this.#schedule);
    viewport?.removeEventListener('scroll', this.#schedule);
    if (this.#frame !== undefined) cancelAnimationFrame(this.#frame);
    this.#frame = undefined;
  }

  /** Measures once per frame at most (the keyboard's animation fires many resize events). */
  readonly #schedule = (): void => {
    if (this.#frame !== undefined) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = undefined;
      this.measure();
    });
  };

  /** Measures now and updates the property (exposed for tests). */
  measure(): void {
    const viewport = globalThis.visualViewport;
    if (!viewport) return;
    // Both in layout-viewport coordinates: the host's bottom edge, and the bottom of what is visible.
    const visibleBottom = viewport.offsetTop + viewport.height;
    const bottom = this.#host.getBoundingClientRect().bottom;
    // Padding does not move the host's own box, so applying the inset never feeds back into this measure.
    const inset = Math.max(0, Math.round(bottom - visibleBottom));
    if (inset === this.#inset) return;
    this.#inset = inset;
    this.#host.style.setProperty(KEYBOARD_INSET_PROPERTY, `${inset}px`);
    this.#host.toggleAttribute('keyboard-open', inset > 0);
  }
}

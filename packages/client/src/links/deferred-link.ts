/**
 * A link whose code is loaded on demand: it stands in (same interface, synchronous) while its module loads, and
 * hands every call to the real link once it is there. `send` before that returns false, as any link that is
 * not open does: the frame goes out in the resync that follows the connection's opening.
 */
import type { ConnectionMode, Link } from './link.js';

export class DeferredLink implements Link {
  #link?: Link;
  #started = false;
  readonly #mode: ConnectionMode;

  /** `mode` is what the link will be; `load` makes the real one (a dynamic import, then its constructor). */
  constructor(mode: ConnectionMode, load: () => Promise<Link>) {
    this.#mode = mode;
    load().then(
      (link) => {
        this.#link = link;
        if (this.#started) link.start();
      },
      (error: unknown) =>
        console.error(`[llc-client] the ${mode} connection's code could not be loaded (a chunk missing?)`, error),
    );
  }

  get mode(): ConnectionMode {
    return this.#link?.mode ?? this.#mode;
  }

  start(): void {
    this.#started = true;
    this.#link?.start();
  }

  stop(): void {
    this.#started = false;
    this.#link?.stop();
  }

  send(frame: Parameters<Link['send']>[0]): boolean {
    return this.#link?.send(frame) ?? false;
  }

  reconnectNow(): void {
    this.#link?.reconnectNow();
  }
}

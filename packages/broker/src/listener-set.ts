import type { Subscription } from './broker.js';

/**
 * A set of listeners where one throwing listener cannot stop the others (errors are reported, not thrown
 * back into the publisher's loop).
 */
export class ListenerSet<A extends unknown[]> {
  private readonly listeners = new Set<(...args: A) => void>();

  constructor(private readonly onError: (error: unknown) => void = reportListenerError) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (...args: A) => void): Subscription {
    this.listeners.add(listener);
    return { unsubscribe: () => void this.listeners.delete(listener) };
  }

  emit(...args: A): void {
    for (const listener of this.listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

function reportListenerError(error: unknown): void {
  console.error('[llc] listener failed:', error);
}

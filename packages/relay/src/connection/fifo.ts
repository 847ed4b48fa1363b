/**
 * A first-in first-out queue for the send queue's lanes: O(1) shift (a head index, compacted once more than half
 * is consumed), and its array is released when it empties, so an idle socket's lane costs one small object.
 */
export class Fifo<T> {
  private items: T[] | undefined;
  private head = 0;

  get length(): number {
    return this.items ? this.items.length - this.head : 0;
  }

  push(item: T): void {
    (this.items ??= []).push(item);
  }

  /** Calls `fn` on each item, oldest first. */
  forEach(fn: (item: T) => void): void {
    const items = this.items;
    if (!items) return;
    for (let i = this.head; i < items.length; i++) fn(items[i]!);
  }

  shift(): T | undefined {
    const items = this.items;
    if (!items) return undefined;
    const item = items[this.head];
    if (item === undefined) return undefined;
    items[this.head++] = undefined as T;
    if (this.head === items.length) {
      this.items = undefined;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

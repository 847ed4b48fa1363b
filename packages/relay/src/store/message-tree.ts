/**
 * A conversation's message tree, as the in-memory Store keeps it (the Redis Store keeps the same three maps as
 * hashes, see redis-scripts.ts). Each message has a parent ('' for a first message); each parent its children in
 * the order they were added (the versions an edit or a regenerate made) and the one shown. The active path runs
 * from the shown first message through each message's shown child.
 */
export class MessageTree {
  readonly #parent = new Map<string, string>();
  readonly #children = new Map<string, string[]>();
  readonly #shown = new Map<string, string>();

  /** Adds `id` as the last child of `parentId` ('' for a root) and shows it (with `showBranch`, its ancestors too). */
  add(id: string, parentId: string, showBranch = false): void {
    this.#parent.set(id, parentId);
    let kids = this.#children.get(parentId);
    if (!kids) this.#children.set(parentId, (kids = []));
    kids.push(id);
    this.#shown.set(parentId, id);
    if (showBranch)
      for (let at = parentId, up = this.#parent.get(at); at && up !== undefined; at = up, up = this.#parent.get(at))
        this.#shown.set(up, at);
  }

  /** The parent of `id` ('' for a root), or undefined when unknown. */
  parentOf(id: string): string | undefined {
    return this.#parent.get(id);
  }

  /** The children of `parentId` ('' for the roots), oldest first. */
  childrenOf(parentId: string): readonly string[] {
    return this.#children.get(parentId) ?? [];
  }

  /** Shows `id` among its siblings. False when unknown. */
  select(id: string): boolean {
    const parentId = this.#parent.get(id);
    if (parentId === undefined) return false;
    this.#shown.set(parentId, id);
    return true;
  }

  /** The active path, first message first. */
  path(): string[] {
    const path: string[] = [];
    // Bounded by the number of messages, so a cycle (impossible by construction) could not hang the relay.
    for (let id = this.#shown.get(''); id !== undefined && path.length <= this.#parent.size; id = this.#shown.get(id))
      path.push(id);
    return path;
  }

  /** The last message of the active path ('' when there is none). */
  leaf(): string {
    return this.path().at(-1) ?? '';
  }

  /** `id` and its nearest ancestors, at most `limit`, oldest first. */
  ancestry(id: string, limit: number): string[] {
    const out: string[] = [];
    for (let at: string | undefined = id; at && out.length < limit; at = this.#parent.get(at)) out.unshift(at);
    return out;
  }

  /** Forgets `id` (dropped as the oldest message): its children take its place among its siblings. */
  remove(id: string): void {
    const parentId = this.#parent.get(id);
    if (parentId === undefined) return;
    const kids = this.#children.get(id) ?? [];
    for (const k of kids) this.#parent.set(k, parentId);
    const siblings = this.#children.get(parentId) ?? [];
    const at = siblings.indexOf(id);
    siblings.splice(at === -1 ? siblings.length : at, at === -1 ? 0 : 1, ...kids);
    if (siblings.length > 0) this.#children.set(parentId, siblings);
    else this.#children.delete(parentId);
    if (this.#shown.get(parentId) === id) {
      const next = this.#shown.get(id) ?? siblings.at(-1);
      if (next === undefined) this.#shown.delete(parentId);
      else this.#shown.set(parentId, next);
    }
    this.#parent.delete(id);
    this.#children.delete(id);
    this.#shown.delete(id);
  }
}

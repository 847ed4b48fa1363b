/**
 * A chunk of the elements that is fetched with `import()` after the first load (the markdown renderer, the
 * history virtualizer), so a page's first load stays small. Each one is started once, read synchronously once it
 * has arrived, and reports a failed fetch (not hosted, offline) once on the console; what the element shows
 * meanwhile, and when the chunk cannot be had, is the element's own fallback.
 */
export interface LazyChunk<T> {
  /**
   * Where the chunk comes from. Tests replace it (before any element is connected) to hold the chunk back and see
   * what a reader sees while it is on its way, or to make it fail.
   */
  import: () => Promise<T>;
  /** Starts loading the chunk (once) and resolves with it; rejects when it cannot be fetched. */
  load(): Promise<T>;
  /** The chunk if it has arrived, else `undefined` (then `load()` says when it does). */
  current(): T | undefined;
}

/** A chunk loaded by `importer`; `fallback` says on the console what readers get when it cannot be fetched. */
export function lazyChunk<T>(importer: () => Promise<T>, fallback: string): LazyChunk<T> {
  let loading: Promise<T> | undefined;
  let loaded: T | undefined;
  const chunk: LazyChunk<T> = {
    import: importer,
    load() {
      loading ??= chunk.import().then(
        (value) => (loaded = value),
        (error: unknown) => {
          console.warn(`llc: ${fallback}`, error);
          throw error;
        },
      );
      return loading;
    },
    current: () => loaded,
  };
  return chunk;
}

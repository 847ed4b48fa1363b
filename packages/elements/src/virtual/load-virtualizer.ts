/**
 * Loads the virtualizer's chunk (virtualizer-chunk.ts) with `import()`, so it is not part of a page's first
 * load: `<llc-message-list>` starts the import as soon as it is connected, and until the chunk is there it shows
 * the newest messages as plain rows in normal flow (older ones revealed as the reader scrolls up), then hands
 * them to the virtualizer. In the CDN bundle the chunk is `chunks/virtualizer-chunk-*.js`; bundlers that
 * understand `import()` make it a chunk of the app.
 */
import type * as VirtualizerChunkModule from './virtualizer-chunk.js';

export type VirtualizerChunk = typeof VirtualizerChunkModule;

/**
 * Where the chunk comes from. Tests replace `import` (before any element is connected) to hold the chunk back
 * and see what a reader sees while it is on its way, or to make it fail.
 */
export const virtualizerChunkSource = {
  import: (): Promise<VirtualizerChunk> => import('./virtualizer-chunk.js'),
};

let loading: Promise<VirtualizerChunk> | undefined;
let loaded: VirtualizerChunk | undefined;

/**
 * Starts loading the chunk (once) and resolves with it. Rejects when it cannot be fetched (not hosted, offline):
 * the history then stays plain rows (all of them reachable by scrolling, only slower for a long history), and the
 * failure is reported once on the console.
 */
export function loadVirtualizer(): Promise<VirtualizerChunk> {
  loading ??= virtualizerChunkSource.import().then(
    (chunk) => (loaded = chunk),
    (error: unknown) => {
      console.warn('llc: the history virtualizer could not be loaded; messages show as plain rows', error);
      throw error;
    },
  );
  return loading;
}

/** The chunk if it has arrived, else `undefined` (then `loadVirtualizer()` says when it does). */
export function virtualizerChunk(): VirtualizerChunk | undefined {
  return loaded;
}

/**
 * Loads the virtualizer's chunk (virtualizer-chunk.ts) with `import()`, so it is not part of a page's first
 * load: `<llc-message-list>` starts the import as soon as it is connected, and until the chunk is there it shows
 * the newest messages as plain rows in normal flow (older ones revealed as the reader scrolls up), then hands
 * them to the virtualizer. In the CDN bundle the chunk is `chunks/virtualizer-chunk-*.js`; bundlers that
 * understand `import()` make it a chunk of the app.
 */
import { lazyChunk } from '../lazy-chunk.js';
import type * as VirtualizerChunkModule from './virtualizer-chunk.js';

export type VirtualizerChunk = typeof VirtualizerChunkModule;

/** The chunk's loader; tests replace its `import` to hold the chunk back or make it fail. */
export const virtualizerChunkSource = lazyChunk<VirtualizerChunk>(
  () => import('./virtualizer-chunk.js'),
  'the history virtualizer could not be loaded; messages show as plain rows',
);

/**
 * Starts loading the chunk (once) and resolves with it. Rejects when it cannot be fetched: the history then
 * stays plain rows (all of them reachable by scrolling, only slower for a long history).
 */
export const loadVirtualizer = (): Promise<VirtualizerChunk> => virtualizerChunkSource.load();

/** The chunk if it has arrived, else `undefined` (then `loadVirtualizer()` says when it does). */
export const virtualizerChunk = (): VirtualizerChunk | undefined => virtualizerChunkSource.current();

/**
 * Loads the markdown renderer's chunk (markdown-chunk.ts) with `import()`, so it is not part of a page's first
 * load: `<llc-message-list>` and `<llc-message>` start the import as soon as they are connected, and an answer
 * that arrives before the chunk shows as plain text (`textContent`: nothing parsed, no URL fetched), rendered
 * once when the chunk is there. In the CDN bundle the chunk is `chunks/markdown-chunk-*.js`; bundlers that
 * understand `import()` make it a chunk of the app.
 */
import { lazyChunk } from '../lazy-chunk.js';
import type * as MarkdownChunkModule from './markdown-chunk.js';

export type MarkdownChunk = typeof MarkdownChunkModule;

/** The chunk's loader; tests replace its `import` to hold the chunk back or make it fail. */
export const markdownChunkSource = lazyChunk<MarkdownChunk>(
  () => import('./markdown-chunk.js'),
  'the markdown renderer could not be loaded; answers show as plain text',
);

/**
 * Starts loading the chunk (once) and resolves with it. Rejects when it cannot be fetched: answers then stay
 * plain text, readable and inert. Once it is there the renderer is warmed in idle time (warm-up.ts), so the first
 * answer's first flush does not pay for it.
 */
export const loadMarkdown = (): Promise<MarkdownChunk> =>
  markdownChunkSource.load().then((chunk) => {
    chunk.warmUp();
    return chunk;
  });

/** The chunk if it has arrived, else `undefined` (then `loadMarkdown()` says when it does). */
export const markdownChunk = (): MarkdownChunk | undefined => markdownChunkSource.current();

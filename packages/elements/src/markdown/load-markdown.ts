/**
 * Loads the markdown renderer's chunk (markdown-chunk.ts) with `import()`, so it is not part of a page's first
 * load: `<llc-message-list>` and `<llc-message>` start the import as soon as they are connected, and an answer
 * that arrives before the chunk shows as plain text (`textContent`: nothing parsed, no URL fetched), rendered
 * once when the chunk is there. In the CDN bundle the chunk is `chunks/markdown-chunk-*.js`; bundlers that
 * understand `import()` make it a chunk of the app.
 */
import type * as MarkdownChunkModule from './markdown-chunk.js';

export type MarkdownChunk = typeof MarkdownChunkModule;

/**
 * Where the chunk comes from. Tests replace `import` (before any element is connected) to hold the chunk back
 * and see what a reader sees while it is on its way.
 */
export const markdownChunkSource = {
  import: (): Promise<MarkdownChunk> => import('./markdown-chunk.js'),
};

let loading: Promise<MarkdownChunk> | undefined;
let loaded: MarkdownChunk | undefined;

/**
 * Starts loading the chunk (once) and resolves with it. Rejects when it cannot be fetched (not hosted, offline):
 * answers then stay plain text, readable and inert, and the failure is reported once on the console.
 */
export function loadMarkdown(): Promise<MarkdownChunk> {
  loading ??= markdownChunkSource.import().then(
    (chunk) => (loaded = chunk),
    (error: unknown) => {
      console.warn('llc: the markdown renderer could not be loaded; answers show as plain text', error);
      throw error;
    },
  );
  return loading;
}

/** The chunk if it has arrived, else `undefined` (then `loadMarkdown()` says when it does). */
export function markdownChunk(): MarkdownChunk | undefined {
  return loaded;
}

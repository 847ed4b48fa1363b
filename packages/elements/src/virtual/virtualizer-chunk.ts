/**
 * The history's virtualizer (@tanstack/virtual-core, ~9.7 KB min+gzip), a chunk of its own: loaded by
 * load-virtualizer.ts with `import()` as `<llc-message-list>` connects, so it is not part of a page's first
 * load. Nothing else may import this module (or virtual-core) with a value import, or it is back on it.
 */
export {
  Virtualizer,
  elementScroll,
  measureElement,
  observeElementOffset,
  observeElementRect,
} from '@tanstack/virtual-core';

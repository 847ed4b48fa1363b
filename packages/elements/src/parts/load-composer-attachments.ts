/**
 * Loads the composer's attachments (composer-attachments.ts: checks and uploads) with `import()` once the
 * composer shows its Attach button (after its first render), so it is not part of a page's first load
 * (2026-12-05: 594 bytes min+gzip off it, 44,187 → 43,593). The Attach button, the file input, the drop target
 * and the chips are the composer's own (attachment-chips.ts) and need none of it. In the CDN bundle it is
 * `chunks/composer-attachments-*.js`.
 */
import { lazyChunk } from '../lazy-chunk.js';
import type * as ComposerAttachmentsModule from './composer-attachments.js';

/** The chunk's loader; tests replace its `import` to hold the chunk back or make it fail. */
export const composerAttachmentsChunk = lazyChunk<typeof ComposerAttachmentsModule>(
  () => import('./composer-attachments.js'),
  'the composer could not load its attachments code; files cannot be attached',
);

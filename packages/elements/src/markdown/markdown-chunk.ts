/**
 * The markdown renderer as one chunk, loaded on demand (load-markdown.ts): markdown-it, DOMPurify, the
 * block-incremental renderer and its flush planner, and the activation of finished blocks. It is the largest
 * part of the elements (about 35 KB min+gzip) and not needed for an answer to show: until it arrives an answer
 * shows as plain text.
 */
export { StreamingMarkdown } from '../controllers/streaming-markdown.js';
export { activateBlock, imageOriginSet } from './safe-content.js';
export { warmUp } from './warm-up.js';
export { renderMathIn } from '../math/math-render.js';
export { diagramBlock, isDiagramLanguage } from '../diagram/diagram-block.js';

/**
 * @locallightchat/elements/internal — the parts the elements are made of, for tests, benchmarks and tools. Not a
 * stable API: an app uses `@locallightchat/elements`. Everything public is exported here too.
 */
export * from './index.js';
export { MESSAGE_PARTS } from './llc-message.js';
export { fire } from './events.js';
export { StreamingMarkdown, type StreamingMarkdownOptions } from './controllers/streaming-markdown.js';
export {
  FlushPlanner,
  DEFAULT_FLUSH_PLANNER,
  resolveFlushPlannerOptions,
  type FlushPlannerOptions,
} from './controllers/flush-planner.js';
export { ConversationController } from './controllers/conversation-controller.js';
export { FrameScheduler } from './controllers/frame-scheduler.js';
export { renderMarkdown, createMarkdown, sanitize, sanitizeToFragment, isSafeUrl } from './markdown/render-markdown.js';
export {
  IncrementalMarkdown,
  type IncrementalOptions,
  type IncrementalStats,
  type BlockHook,
} from './markdown/incremental.js';
export { mathPlugin, looksLikeInlineMath } from './math/math-syntax.js';
export { renderMathIn, mathStats } from './math/math-render.js';

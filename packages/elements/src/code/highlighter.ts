/**
 * Where a closed code block gets highlighted. Small blocks: on the main thread when it is idle (a worker
 * round trip would cost more than the work). Large blocks: in a module worker, so a 100 KB file in an answer
 * never blocks scrolling or typing; only building the spans happens on the page, in slices (code-block.ts).
 * If the worker cannot start (no Worker, a CSP that forbids it, its script not hosted), large blocks up to
 * {@link FALLBACK_INLINE_MAX_CHARS} are highlighted inline and bigger ones stay plain, readable text.
 */
import { constructWorker, workerScriptUrl } from '@locallightchat/client';
import { parseHighlightHtml, type Highlighted } from './highlighted-code.js';
import type { HighlightReply, HighlightRequest } from './worker-messages.js';
// Types only: the module itself is loaded on demand by loadInline().
import type * as Highlight from './highlight.js';

/** Tuning for {@link configureHighlighting}. */
export interface HighlightOptions {
  /**
   * Blocks up to this many characters are highlighted on the main thread, when idle. Default 2,000: a few ms
   * (a 150,000-character block highlighted inline stalled the page 333–450 ms in `npm run bench:ui`, about
   * 2–3 ms per 1,000 characters).
   */
  inlineMaxChars: number;
  /** Blocks up to this many characters are highlighted in the worker; larger ones stay plain. Default 500,000. */
  maxChars: number;
  /**
   * The worker script (`@locallightchat/elements` dist/code/highlight-worker.js, or highlight-worker.js next to
   * the single-file bundle). Default (undefined): resolved next to this module, which bundlers that understand
   * `new Worker(new URL(…, import.meta.url))` handle. `null` turns the worker off.
   */
  workerUrl: string | URL | null | undefined;
  /** A worker with nothing to do is closed after this many milliseconds (it holds the grammars). Default 30,000. */
  workerIdleMs: number;
}

/** Without a worker, blocks up to this size are still highlighted inline (~25 ms at the rate above, under a long task). */
export const FALLBACK_INLINE_MAX_CHARS = 8_000;

/** How code blocks are highlighted until {@link configureHighlighting} changes it. */
export const DEFAULT_HIGHLIGHTING: Readonly<HighlightOptions> = {
  inlineMaxChars: 2_000,
  maxChars: 500_000,
  workerUrl: undefined,
  workerIdleMs: 30_000,
};

/** The options in force: the defaults with every change made so far. */
const options: HighlightOptions = { ...DEFAULT_HIGHLIGHTING };

/** How blocks were highlighted so far (for tests and diagnostics). */
export const highlightStats = { inline: 0, worker: 0, plain: 0, workerFailures: 0 };

/** Changes where and up to what size code blocks are highlighted (applies to blocks closed from now on). */
export function configureHighlighting(changes: Partial<HighlightOptions>): void {
  if ('workerUrl' in changes && changes.workerUrl !== options.workerUrl)
    closeWorker(new Error('highlight worker replaced'));
  Object.assign(options, changes);
  workerBroken = false;
}

/** `code` highlighted, or undefined when it stays plain (unknown language, too large). */
export async function highlightCode(code: string, language: string): Promise<Highlighted | undefined> {
  if (code.length > options.maxChars) return plain();
  if (code.length > options.inlineMaxChars && options.workerUrl !== null && !workerBroken) {
    try {
      const highlighted = await inWorker(code, language);
      highlightStats.worker++;
      return highlighted;
    } catch (error) {
      highlightStats.workerFailures++;
      console.warn(
        'llc: the highlight worker is unavailable; large code blocks are highlighted inline or left plain',
        error,
      );
    }
  }
  if (code.length > Math.max(options.inlineMaxChars, FALLBACK_INLINE_MAX_CHARS)) return plain();
  const html = (await loadInline()).highlight(code, language);
  highlightStats.inline++;
  return html === undefined ? undefined : parseHighlightHtml(html);
}

function plain(): undefined {
  highlightStats.plain++;
  return undefined;
}

let inline: Promise<typeof Highlight> | undefined;
function loadInline(): Promise<typeof Highlight> {
  inline ??= import('./highlight.js');
  return inline;
}

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 1;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
const pending = new Map<number, { resolve: (s: Highlighted | undefined) => void; reject: (e: Error) => void }>();

function inWorker(code: string, language: string): Promise<Highlighted | undefined> {
  const w = startWorker();
  clearTimeout(idleTimer);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const request: HighlightRequest = { id, code, language };
    w.postMessage(request);
  });
}

function startWorker(): Worker {
  if (worker) return worker;
  let w: Worker;
  try {
    w = createWorker(options.workerUrl);
  } catch (error) {
    // No Worker, or a CSP that forbids it: do not try again for every block.
    workerBroken = true;
    throw error;
  }
  w.onmessage = ({ data }: MessageEvent<HighlightReply>) => {
    const request = pending.get(data.id);
    if (!request) return;
    pending.delete(data.id);
    if (data.error !== undefined) request.reject(new Error(`highlighting failed: ${data.error}`));
    else request.resolve(data.highlighted);
    if (pending.size === 0) idleTimer = setTimeout(() => closeWorker(), options.workerIdleMs);
  };
  // A script that fails to load or evaluate: every waiting block falls back, and the worker is not retried.
  w.onerror = (event) => {
    event.preventDefault();
    workerBroken = true;
    closeWorker(new Error(`highlight worker failed to start: ${event.message || 'script error'}`));
  };
  worker = w;
  return w;
}

/** The worker script beside this module once built (the Trusted Types fallback below resolves it). */
const WORKER_FILE = './highlight-worker.js';
const WORKER_OPTIONS: WorkerOptions = { type: 'module', name: 'llc-highlight' };

function createWorker(url: string | URL | null | undefined): Worker {
  if (url) return new Worker(workerScriptUrl(url), WORKER_OPTIONS);
  return constructWorker(
    // The literal form (options too: vite reads them), so bundlers (vite, webpack 5, parcel) emit the worker
    // script with the app.
    () => new Worker(new URL('./highlight-worker.js', import.meta.url), { type: 'module', name: 'llc-highlight' }),
    // Under Trusted Types: the same file next to this module (where the single-file bundle and the unbundled
    // package have it), made trusted. A variable path, so bundlers leave this one alone.
    () => new Worker(workerScriptUrl(new URL(WORKER_FILE, import.meta.url)), WORKER_OPTIONS),
  );
}

function closeWorker(reason?: Error): void {
  clearTimeout(idleTimer);
  worker?.terminate();
  worker = undefined;
  for (const request of pending.values()) request.reject(reason ?? new Error('highlight worker closed'));
  pending.clear();
}

/**
 * Module worker that highlights large code blocks off the main thread. It loads the same highlighter the main
 * thread uses (highlight.ts), parses its HTML into text + span offsets (highlighted-code.ts) and transfers them back;
 * the main thread only builds the spans. One request at a time is plenty: highlighting is idle-time decoration.
 *
 * Shipped as dist/code/highlight-worker.js (and dist-bundle/highlight-worker.js next to the single-file
 * bundle); bundlers that understand `new Worker(new URL(…, import.meta.url))` emit it with the app.
 */
import { highlight } from './highlight.js';
import { parseHighlightHtml } from './highlighted-code.js';
import type { HighlightReply, HighlightRequest } from './worker-messages.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<HighlightRequest>) => void) | null;
  postMessage(message: HighlightReply, transfer: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = ({ data }) => {
  let reply: HighlightReply;
  try {
    const html = highlight(data.code, data.language);
    const highlighted = html === undefined ? undefined : parseHighlightHtml(html);
    reply = highlighted ? { id: data.id, highlighted } : { id: data.id };
  } catch (error) {
    reply = { id: data.id, error: error instanceof Error ? error.message : String(error) };
  }
  scope.postMessage(reply, reply.highlighted ? [reply.highlighted.marks.buffer] : []);
};

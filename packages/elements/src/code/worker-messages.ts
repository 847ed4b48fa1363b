/** Messages between the page and the highlight worker. */
import type { Segment } from './segments.js';

export interface HighlightRequest {
  id: number;
  code: string;
  language: string;
}

/** `segments` absent: the language is unknown (or the output unexpected); `error`: the highlighter threw. */
export interface HighlightReply {
  id: number;
  segments?: Segment[];
  error?: string;
}

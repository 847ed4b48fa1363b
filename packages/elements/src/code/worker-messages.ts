/** Messages between the page and the highlight worker. */
import type { Highlighted } from './highlighted-code.js';

export interface HighlightRequest {
  id: number;
  code: string;
  language: string;
}

/** `highlighted` absent: the language is unknown (or the output unexpected); `error`: the highlighter threw. */
export interface HighlightReply {
  id: number;
  highlighted?: Highlighted;
  error?: string;
}

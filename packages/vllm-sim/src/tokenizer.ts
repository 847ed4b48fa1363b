/**
 * A simple, lossless tokenizer: the simulator counts prompt tokens and emits output tokens with it. Pieces are
 * words (with their leading space), short digit runs, short punctuation runs, newline runs and whitespace runs;
 * long words are split into chunks of about four letters. English prose comes out near 4 characters per token,
 * close enough to BPE tokenizers for load modelling. `tokenize(s).join('') === s` always holds.
 */

const PIECE = /\n+|[ \t]*\p{L}+|[ \t]*\p{N}{1,3}|[ \t]*[^\s\p{L}\p{N}]{1,3}|[^\S\n]+/gu;
const LONG_WORD = 7;
const CHUNK = 4;

/** Splits text into tokens (words, digits, punctuation, whitespace; ~3–4 characters each). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(PIECE)) {
    const piece = match[0];
    if (piece.length <= LONG_WORD) {
      out.push(piece);
      continue;
    }
    // Split long words (and long indents + word) by code points, so surrogate pairs stay together.
    const chars = Array.from(piece);
    const lead = piece.length - piece.trimStart().length;
    let start = 0;
    let first = true;
    while (start < chars.length) {
      const size = first ? lead + CHUNK : CHUNK;
      out.push(chars.slice(start, start + size).join(''));
      start += size;
      first = false;
    }
  }
  return out;
}

/** The number of tokens in `text`. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

/** Tokens a chat template adds around each message (Llama-3 style headers) and for the assistant prefix. */
export const CHAT_TOKENS_PER_MESSAGE = 5;
export const CHAT_TOKENS_PER_PROMPT = 4;

/** Prompt tokens of a chat request: message contents plus chat-template overhead. */
export function countChatPromptTokens(messages: readonly { content: string }[]): number {
  let total = CHAT_TOKENS_PER_PROMPT;
  for (const m of messages) total += CHAT_TOKENS_PER_MESSAGE + countTokens(m.content);
  return total;
}

/** Prompt tokens of a completions request: the text plus a BOS token. */
export function countCompletionPromptTokens(prompt: string): number {
  return 1 + countTokens(prompt);
}

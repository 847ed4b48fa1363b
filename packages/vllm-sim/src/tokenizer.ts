/**
 * A simple, lossless tokenizer: the simulator counts prompt tokens and emits output tokens with it. Pieces are
 * words (with their leading space), short digit runs, short punctuation runs, newline runs and whitespace runs;
 * long words are split into chunks of about four letters. English prose comes out near 4 characters per token,
 * close enough to BPE tokenizers for load modelling. `tokenize(s).join('') === s` always holds.
 */

const PIECE = /\n+|[ \t]*\p{L}+|[ \t]*\p{N}{1,3}|[ \t]*[^\s\p{L}\p{N}]{1,3}|[^\S\n]+/gu;
const LONG_WORD = 7;
const CHUNK = 4;

const NON_ASCII = /[^\x00-\x7f]/;

/** Splits text into tokens (words, digits, punctuation, whitespace; ~3–4 characters each). */
export function tokenize(text: string): string[] {
  // Plain ASCII (most prompts) takes a hand-written scanner with the same rules: the Unicode regex costs
  // ~0.3 µs a token here, the scanner ~0.05, and routers tokenize every new message.
  if (!NON_ASCII.test(text)) return tokenizeAscii(text);
  const out: string[] = [];
  for (const match of text.matchAll(PIECE)) push(out, match[0]);
  return out;
}

function push(out: string[], piece: string): void {
  if (piece.length <= LONG_WORD) {
    out.push(piece);
    return;
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

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
/** JavaScript's `\s` within ASCII: tab, newline, vertical tab, form feed, carriage return, space. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** {@link PIECE} for ASCII text, alternative by alternative. */
function tokenizeAscii(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let end: number;
    if (c === 10) {
      end = i + 1;
      while (end < n && text.charCodeAt(end) === 10) end++;
    } else {
      let j = i;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      const d = j < n ? text.charCodeAt(j) : -1;
      if (d >= 0 && isLetter(d)) {
        end = j + 1;
        while (end < n && isLetter(text.charCodeAt(end))) end++;
      } else if (d >= 0 && isDigit(d)) {
        end = j + 1;
        while (end < n && end < j + 3 && isDigit(text.charCodeAt(end))) end++;
      } else if (d >= 0 && !isSpace(d)) {
        end = j + 1;
        while (end < n && end < j + 3) {
          const e = text.charCodeAt(end);
          if (isSpace(e) || isLetter(e) || isDigit(e)) break;
          end++;
        }
      } else {
        // Whitespace other than newlines.
        end = i;
        while (end < n && text.charCodeAt(end) !== 10 && isSpace(text.charCodeAt(end))) end++;
      }
    }
    push(out, text.slice(i, end));
    i = end;
  }
  return out;
}

/** The number of tokens in `text`. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

/**
 * Tokens a chat template adds, Llama-3 style: `<|start_header_id|>role<|end_header_id|>\n\n … <|eot_id|>` per
 * message (5), `<|begin_of_text|>` plus the generation prompt `<|start_header_id|>assistant<|end_header_id|>\n\n`
 * per prompt (5). token-ids.ts produces exactly these tokens.
 */
export const CHAT_TOKENS_PER_MESSAGE = 5;
export const CHAT_TOKENS_PER_PROMPT = 5;

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

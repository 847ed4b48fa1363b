/**
 * Token ids for the simulator's tokenizer, and the exact token sequence of a chat prompt (Llama-3's template).
 * vLLM's prefix cache hashes token ids, so the simulator needs ids, not just counts: a piece's id is a hash of
 * its text (vocabulary of 128,000, ids below 256 reserved for special tokens), so the same text always has the
 * same ids and a router that tokenizes with {@link SimPromptTokenizer} computes the engine's block hashes.
 *
 * A chat prompt is `<bos>` + per message `<sh> role <eh> <nl> content… <eot>` + `<sh> assistant <eh> <nl>`.
 * The engine appends each sampled token's id and `<eot>` at EOS, so an answer's blocks line up with the same
 * answer sent back as an assistant message in the next turn (when its text re-tokenizes to the same pieces).
 */
import type { PromptTokenizer } from '@locallightchat/inference-bridge';
import { TextKeyedMap } from '@locallightchat/inference-bridge/backend-kit';
import { hash32 } from './random.js';
import { tokenize } from './tokenizer.js';

export const SPECIAL_TOKEN_IDS = {
  bos: 1,
  startHeader: 2,
  endHeader: 3,
  eot: 4,
  headerNewline: 5,
} as const;

/** The id sampled at end of sequence (`<|eot_id|>`). */
export const EOS_TOKEN_ID = SPECIAL_TOKEN_IDS.eot;
const VOCAB = 128_000;
const FIRST_ORDINARY = 256;

/** The id of one token piece. */
export function tokenId(piece: string): number {
  return FIRST_ORDINARY + (hash32(piece) % (VOCAB - FIRST_ORDINARY));
}

/** Token ids of a text. */
export function textTokenIds(text: string): number[] {
  return tokenize(text).map(tokenId);
}

/**
 * The simulator's chat tokenization as a {@link PromptTokenizer} (the bridge's port): the engine uses it for
 * every chat request, and a precise router given the same instance (or one with the same block size) computes
 * the same block hashes. Messages are tokenized once and cached (most of a chat prompt was seen before).
 */
export class SimPromptTokenizer implements PromptTokenizer {
  readonly prefix: readonly number[] = [SPECIAL_TOKEN_IDS.bos];
  readonly suffix: readonly number[] = [
    SPECIAL_TOKEN_IDS.startHeader,
    tokenId('assistant'),
    SPECIAL_TOKEN_IDS.endHeader,
    SPECIAL_TOKEN_IDS.headerNewline,
  ];
  private readonly cache: TextKeyedMap<Uint32Array>;

  constructor(
    readonly blockSize = 16,
    maxCachedMessages = 20_000,
  ) {
    this.cache = new TextKeyedMap(maxCachedMessages);
  }

  message(role: string, content: string): Uint32Array {
    const cached = this.cache.get(role, content);
    if (cached) return cached;
    const pieces = tokenize(content);
    const ids = new Uint32Array(pieces.length + 5);
    ids[0] = SPECIAL_TOKEN_IDS.startHeader;
    ids[1] = tokenId(role);
    ids[2] = SPECIAL_TOKEN_IDS.endHeader;
    ids[3] = SPECIAL_TOKEN_IDS.headerNewline;
    for (let i = 0; i < pieces.length; i++) ids[4 + i] = tokenId(pieces[i]!);
    ids[pieces.length + 4] = SPECIAL_TOKEN_IDS.eot;
    this.cache.set(role, content, ids);
    return ids;
  }

  /** The whole prompt's token ids. */
  chat(messages: readonly { readonly role: string; readonly content: string }[]): number[] {
    const out: number[] = [...this.prefix];
    for (const m of messages) {
      const ids = this.message(m.role, m.content);
      for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
    }
    out.push(...this.suffix);
    return out;
  }

  /** A completions prompt: `<bos>` + the text's tokens. */
  completion(prompt: string): number[] {
    return [SPECIAL_TOKEN_IDS.bos, ...textTokenIds(prompt)];
  }
}

/**
 * The block hashes of a chat prompt, computed once per distinct message and reused: every turn of a chat
 * resends the whole conversation, and many requests share a system prompt, so hashing each prompt from scratch
 * would cost ~100 µs per 8k-token request here. Prompts are walked message by message down a trie whose nodes
 * remember the hash chain at the end of each message (the last full block's hash and the units of the partial
 * block after it); only messages not seen before after the same history are tokenized and hashed. A B2B request
 * (a 6,000-token shared context and a new question) then costs one lookup and a few blocks.
 *
 * The units are whatever the {@link PromptTokenizer} produces: the engine's token ids (precise routing: the
 * hashes equal the engine's) or characters (approximate routing).
 */
import { hashFullBlocks, rootBlockHash } from './block-hash.js';
import { TextKeyedMap } from './text-keyed-map.js';

/**
 * Turns a chat prompt into the units a prefix cache hashes. For precise routing this must reproduce the
 * engine's tokenization and chat template exactly (the simulator exports its own; for vLLM, wrap the model's
 * tokenizer); the approximate router uses {@link CharUnits}.
 */
export interface PromptTokenizer {
  /** Units per cache block (vLLM `--block-size` for tokens). */
  readonly blockSize: number;
  /** Units before the first message (e.g. BOS). */
  readonly prefix: ArrayLike<number>;
  /** Units of one message, template tokens included. */
  message(role: string, content: string): ArrayLike<number>;
  /** Units after the last message (the generation prompt). */
  readonly suffix: ArrayLike<number>;
}

/** Characters as a stand-in for tokens (llm-d's approximate scorer does the same): ~4 characters a token. */
export class CharUnits implements PromptTokenizer {
  readonly prefix: ArrayLike<number> = [];
  readonly suffix: ArrayLike<number> = [];
  constructor(readonly blockSize = 64) {
    if (!(Number.isInteger(blockSize) && blockSize >= 1))
      throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  }
  message(role: string, content: string): Uint16Array {
    const units = new Uint16Array(role.length + content.length + 2);
    let k = 0;
    for (let i = 0; i < role.length; i++) units[k++] = role.charCodeAt(i);
    units[k++] = 0;
    for (let i = 0; i < content.length; i++) units[k++] = content.charCodeAt(i);
    units[k] = 0;
    return units;
  }
}

interface Node {
  readonly id: number;
  /** Hash of the last full block so far (the chain's parent for what follows). */
  readonly hash: number;
  /** Units after the last full block (fewer than a block). */
  readonly pending: ArrayLike<number>;
  /** Full blocks completed by this node's message. */
  readonly blocks: readonly number[];
  /** Units from the start of the prompt to the end of this node. */
  readonly units: number;
}

/** A run of a prompt's blocks that ends a message (a trie node: the same object whenever that prefix recurs). */
export interface PromptSegment {
  /** Full blocks completed within this message. */
  readonly blocks: readonly number[];
}

/**
 * A prompt's block hashes as a read-only sequence over its segments: building one flat array would copy every
 * hash of a 8k-token prompt on each request (~15 µs here), while a lookup needs only ~15 of them.
 */
export class BlockSequence {
  readonly length: number;
  private readonly starts: number[] = [];
  constructor(private readonly segments: readonly PromptSegment[]) {
    let n = 0;
    for (const s of segments) {
      this.starts.push(n);
      n += s.blocks.length;
    }
    this.length = n;
  }
  /** The i-th block hash (0 ≤ i < length). */
  at(i: number): number {
    let s = this.segments.length - 1;
    while (this.starts[s]! > i) s--;
    return this.segments[s]!.blocks[i - this.starts[s]!]!;
  }
  toArray(): number[] {
    const out: number[] = [];
    for (const s of this.segments) for (const h of s.blocks) out.push(h);
    return out;
  }
}

/** A prompt's full-block hashes, in order, and its length in units. */
export interface PromptBlockList {
  readonly hashes: BlockSequence;
  readonly units: number;
  /** The same hashes by message, oldest first; the last segment holds the blocks after the last message. */
  readonly segments: readonly PromptSegment[];
}

export interface PromptBlocksOptions {
  tokenizer: PromptTokenizer;
  /** Seed of the first block's parent hash (must equal the engine's for precise routing). */
  seed?: number | string;
  /** Messages (trie nodes) kept; beyond, the oldest are forgotten and hashed again when seen. */
  maxMessages?: number;
}

export const DEFAULT_PROMPT_BLOCKS = { seed: 0, maxMessages: 50_000 } as const;

export class PromptBlocks {
  readonly blockSize: number;
  private readonly tokenizer: PromptTokenizer;
  private readonly root: Node;
  private readonly nodes: TextKeyedMap<Node>;
  private nextId = 1;

  constructor(options: PromptBlocksOptions) {
    this.tokenizer = options.tokenizer;
    this.blockSize = options.tokenizer.blockSize;
    const seedHash = rootBlockHash(options.seed ?? DEFAULT_PROMPT_BLOCKS.seed);
    const blocks: number[] = [];
    const prefix = Array.from(options.tokenizer.prefix);
    const hash = hashFullBlocks(seedHash, prefix, this.blockSize, blocks);
    const done = blocks.length * this.blockSize;
    this.root = { id: 0, hash, pending: prefix.slice(done), blocks, units: prefix.length };
    this.nodes = new TextKeyedMap(options.maxMessages ?? DEFAULT_PROMPT_BLOCKS.maxMessages);
  }

  /**
   * Full-block hashes of the prompt (prefix, messages, suffix), reusing what earlier prompts computed. With
   * `upTo` < messages.length, those of its first `upTo` messages only (no suffix): the part that earlier turns
   * and other requests can have cached, known without tokenizing the (usually new) last message.
   */
  of(
    messages: readonly { readonly role: string; readonly content: string }[],
    upTo = messages.length,
  ): PromptBlockList {
    const path: Node[] = [this.root];
    let node = this.root;
    for (let i = 0; i < upTo; i++) {
      const m = messages[i]!;
      const tag = `${node.id}\u0000${m.role}`;
      let child = this.nodes.get(tag, m.content);
      if (!child) {
        child = this.extend(node, this.tokenizer.message(m.role, m.content));
        this.nodes.set(tag, m.content, child);
      }
      path.push(child);
      node = child;
    }
    const suffix = upTo < messages.length ? [] : this.tokenizer.suffix;
    const segments: PromptSegment[] = path;
    if (suffix.length > 0) {
      const tail = Array.from(node.pending);
      for (let i = 0; i < suffix.length; i++) tail.push(suffix[i]!);
      const blocks: number[] = [];
      hashFullBlocks(node.hash, tail, this.blockSize, blocks);
      segments.push({ blocks });
    }
    return { hashes: new BlockSequence(segments), units: node.units + suffix.length, segments };
  }

  private extend(parent: Node, units: ArrayLike<number>): Node {
    const pending = parent.pending;
    const joined = new Float64Array(pending.length + units.length);
    for (let i = 0; i < pending.length; i++) joined[i] = pending[i]!;
    for (let i = 0; i < units.length; i++) joined[pending.length + i] = units[i]!;
    const blocks: number[] = [];
    const hash = hashFullBlocks(parent.hash, joined, this.blockSize, blocks);
    return {
      id: this.nextId++,
      hash,
      pending: joined.slice(blocks.length * this.blockSize),
      blocks,
      units: parent.units + units.length,
    };
  }
}

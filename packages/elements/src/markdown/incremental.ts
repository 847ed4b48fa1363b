/**
 * Block-incremental markdown rendering into a live container.
 *
 * The text is split into top-level blocks with markdown-it's block tokens (their `map` line ranges). Blocks
 * that can no longer change are rendered once and frozen: their DOM nodes are kept and never touched again.
 * Only the open tail (the last two blocks: the last one may still turn the one before into something else,
 * e.g. a table row under a paragraph line) is re-parsed per update, and of those only blocks whose HTML
 * changed are replaced; an open code fence only gets the new text appended. While streaming, the tail is
 * repaired for display (see repair.ts) so half-written syntax never shows.
 *
 * `finish()` makes the result exactly a one-shot `renderMarkdown(text)`: it freezes the rest, then compares
 * every block with a one-shot parse of the whole text and replaces the few that differ (this happens when a
 * link reference definition arrives after the link that uses it). `stats` counts such replacements.
 */
import type MarkdownIt from 'markdown-it';
import {
  couldCloseFence,
  endsInOpenFence,
  isOpenFence,
  lineCount,
  lineStarts,
  offsetOfLine,
  topLevelBlocks,
  type TopBlock,
} from './blocks.js';
import {
  appendToOpenFence,
  extendFence,
  findOpenFence,
  type OpenFence,
  type RenderedBlock,
  type Token,
} from './open-fence.js';
import { repairTail } from './repair.js';
import { sanitizeToFragment, sharedMarkdown } from './render-markdown.js';
import { applyTextInsertion, findTextInsertion } from './text-patch.js';

type References = Record<string, unknown>;
interface Parsed {
  tokens: Token[];
  env: { references: References };
}
/** A parse of the open tail, reusable by the next step when nothing was frozen in between. */
interface TailParse extends Parsed {
  src: string;
}

/** Called with a block's nodes when it is frozen; may return replacement nodes (e.g. a decorated code block). */
export type BlockHook = (nodes: Node[], html: string) => Node[] | void;

export interface IncrementalOptions {
  md?: MarkdownIt;
  /** Called once per frozen block (after `finish()` also for blocks replaced by the final check). */
  onBlockFrozen?: BlockHook;
}

export interface IncrementalStats {
  /** Blocks rendered once and frozen. */
  frozenBlocks: number;
  /** Open-tail blocks re-rendered (replaced in the DOM) across updates. */
  tailRenders: number;
  /** Open blocks updated by inserting text into one of their text nodes instead of a new render. */
  textInserts: number;
  /** Times an open code fence was extended by appending text only. */
  fenceAppends: number;
  /** Of those, appends made without parsing anything (the open-fence fast path). */
  fenceFastAppends: number;
  /** Blocks `finish()` had to replace to match the one-shot render. */
  reconciled: number;
}

export class IncrementalMarkdown {
  readonly #md: MarkdownIt;
  #text = '';
  /** Length of the text covered by frozen blocks (always at a line start). */
  #frozenLength = 0;
  #frozenRefs: References = {};
  readonly #frozen: RenderedBlock[] = [];
  #open: RenderedBlock[] = [];
  #openFence: OpenFence | undefined;
  #finished = false;
  readonly stats: IncrementalStats = {
    frozenBlocks: 0,
    tailRenders: 0,
    textInserts: 0,
    fenceAppends: 0,
    fenceFastAppends: 0,
    reconciled: 0,
  };
  readonly #options: IncrementalOptions = {};

  constructor(
    readonly container: HTMLElement,
    options: IncrementalOptions = {},
  ) {
    this.#options = options;
    this.#md = options.md ?? sharedMarkdown();
  }

  /** The text rendered so far. */
  get current(): string {
    return this.#text;
  }

  get isFinished(): boolean {
    return this.#finished;
  }

  /** Shows `text`. When it extends the previous text only the tail is re-parsed; otherwise it starts over. */
  update(text: string): void {
    const normalized = normalize(text);
    if (!normalized.startsWith(this.#text) || this.#finished) this.reset();
    const appended = !!this.#openFence && !this.#finished && appendToOpenFence(this.#openFence, normalized, this.stats);
    this.#text = normalized;
    if (!appended) this.#renderOpen(false, this.#freezeSettled(false));
  }

  /** The text is complete: freeze everything and make the DOM equal to a one-shot render. */
  finish(text: string = this.#text): void {
    const normalized = normalize(text);
    if (!normalized.startsWith(this.#text) || this.#finished) this.reset();
    this.#text = normalized;
    this.#renderOpen(true, this.#freezeSettled(true));
    this.#reconcile();
    this.#finished = true;
  }

  /** Clears the container and all state. */
  reset(): void {
    this.container.replaceChildren();
    this.#text = '';
    this.#frozenLength = 0;
    this.#frozenRefs = {};
    this.#frozen.length = 0;
    this.#open = [];
    this.#openFence = undefined;
    this.#finished = false;
  }

  #parse(src: string, refs: References): Parsed {
    const env = { references: { ...refs } };
    return { tokens: this.#md.parse(src, env), env };
  }

  #renderHtml(tokens: Token[], block: TopBlock, env: object): string {
    return this.#md.renderer.render(tokens.slice(block.from, block.to), this.#md.options, env);
  }

  /** Builds a block's nodes (sanitised) from its HTML, rendered here unless the caller already has it. */
  #renderBlock(
    tokens: Token[],
    block: TopBlock,
    env: object,
    html = this.#renderHtml(tokens, block, env),
  ): RenderedBlock {
    const first = tokens[block.from]!;
    const fence =
      block.to - block.from === 1 && first.type === 'fence'
        ? { info: first.info, content: first.content, token: first, stale: false }
        : undefined;
    return { html, nodes: [...sanitizeToFragment(html).childNodes], ...(fence ? { fence } : {}) };
  }

  #htmlOf(block: RenderedBlock): string {
    const fence = block.fence;
    if (fence?.stale) {
      const token = Object.assign(Object.create(Object.getPrototypeOf(fence.token) as object) as Token, fence.token, {
        content: fence.content,
      });
      block.html = this.#md.renderer.render([token], this.#md.options, {});
      fence.stale = false;
    }
    return block.html;
  }

  /** Freezes the blocks that can no longer change (all of them when `all`); returns the tail's parse if still valid. */
  #freezeSettled(all: boolean): TailParse | undefined {
    const tail = this.#text.slice(this.#frozenLength);
    const parsed = this.#parse(tail, this.#frozenRefs);
    const blocks = topLevelBlocks(parsed.tokens);
    const keepOpen = all ? 0 : 2;
    if (blocks.length <= keepOpen) return { ...parsed, src: tail };
    const cut = all
      ? tail.length
      : offsetOfLine(lineStarts(tail), blocks[blocks.length - keepOpen]!.startLine, tail.length);
    // Parse the settled part on its own: it yields exactly its blocks and the reference definitions it holds.
    const settled = this.#parse(tail.slice(0, cut), this.#frozenRefs);
    const settledBlocks = topLevelBlocks(settled.tokens);
    settledBlocks.forEach((block, i) => {
      const html = this.#renderHtml(settled.tokens, block, settled.env);
      const shown = this.#open[i];
      // Sanitising is a large share of a render: only a block that changed is built again.
      const keep =
        shown && (this.#htmlOf(shown) === html || this.#insertText(shown, html))
          ? shown
          : this.#place(this.#renderBlock(settled.tokens, block, settled.env, html), shown);
      this.#freezeBlock(keep);
    });
    this.#open = this.#open.slice(settledBlocks.length);
    this.#frozenLength += cut;
    this.#frozenRefs = settled.env.references;
    return undefined;
  }

  #freezeBlock(block: RenderedBlock): void {
    this.#frozen.push(this.#decorate(block));
    this.stats.frozenBlocks++;
  }

  /** Lets the hook replace a block's nodes (it may move them, so the position is taken first). */
  #decorate(block: RenderedBlock): RenderedBlock {
    if (!this.#options.onBlockFrozen) return block;
    const next = block.nodes[block.nodes.length - 1]?.nextSibling ?? null;
    const replaced = this.#options.onBlockFrozen(block.nodes, this.#htmlOf(block));
    if (!replaced) return block;
    for (const n of block.nodes)
      if (!replaced.includes(n) && n.parentNode === this.container) this.container.removeChild(n);
    for (const n of replaced) this.container.insertBefore(n, next && next.parentNode === this.container ? next : null);
    return { ...block, nodes: replaced };
  }

  /** Re-renders the open tail, replacing only blocks whose HTML changed. */
  #renderOpen(final: boolean, reuse: TailParse | undefined): void {
    const raw = this.#text.slice(this.#frozenLength);
    const parsedRaw = reuse && reuse.src === raw ? reuse : undefined;
    const src = !final && raw !== '' ? this.#repaired(raw, parsedRaw) : raw;
    const { tokens, env } = parsedRaw && src === raw ? parsedRaw : this.#parse(src, this.#frozenRefs);
    const blocks = topLevelBlocks(tokens);
    const next: RenderedBlock[] = [];
    for (let i = 0; i < Math.max(blocks.length, this.#open.length); i++) {
      const block = blocks[i];
      const shown = this.#open[i];
      if (!block) {
        if (shown) this.#remove(shown);
        continue;
      }
      const first = tokens[block.from]!;
      if (
        shown?.fence &&
        block.to - block.from === 1 &&
        first.type === 'fence' &&
        extendFence(shown, first, this.stats)
      ) {
        next.push(shown);
        continue;
      }
      const html = this.#renderHtml(tokens, block, env);
      if (shown && (this.#htmlOf(shown) === html || this.#insertText(shown, html))) {
        next.push(shown);
        continue;
      }
      next.push(this.#place(this.#renderBlock(tokens, block, env, html), shown));
      this.stats.tailRenders++;
    }
    this.#open = next;
    this.#openFence = final
      ? undefined
      : findOpenFence(this.#text, this.#frozenLength, src, tokens, blocks[blocks.length - 1], next[blocks.length - 1]);
  }

  /** The tail as it should look mid-stream (half-written syntax hidden), unless it ends in an open fence. */
  #repaired(src: string, parsed: Parsed | undefined): string {
    const { tokens } = parsed ?? this.#parse(src, this.#frozenRefs);
    const blocks = topLevelBlocks(tokens);
    const last = blocks[blocks.length - 1];
    if (!last) return src;
    const starts = lineStarts(src);
    if (last.type === 'fence') {
      // A last line that may yet close the fence is held back rather than shown as code.
      const lastLineStart = src.lastIndexOf('\n') + 1;
      const token = tokens[last.from]!;
      const holdBack =
        last.startLine < starts.length - 1 &&
        isOpenFence(token, src, starts) &&
        couldCloseFence(src.slice(lastLineStart), token.markup[0]!);
      return holdBack ? src.slice(0, lastLineStart) : src;
    }
    if (last.type === 'code_block' || endsInOpenFence(tokens, last, lineCount(src, starts))) return src;
    const at = offsetOfLine(starts, last.startLine, src.length);
    return src.slice(0, at) + repairTail(src.slice(at), last.type === 'paragraph_open');
  }

  /** Updates a block whose new HTML only adds text to one of its text nodes, in place; false otherwise. */
  #insertText(shown: RenderedBlock, html: string): boolean {
    if (shown.fence) return false;
    const insertion = findTextInsertion(shown.html, html);
    if (!insertion || !applyTextInsertion(shown.nodes, insertion)) return false;
    shown.html = html;
    this.stats.textInserts++;
    return true;
  }

  /** Puts a new block where `replacing` was (or at the end). */
  #place(block: RenderedBlock, replacing: RenderedBlock | undefined): RenderedBlock {
    if (replacing) block.nodes = this.#swap(replacing.nodes, block.nodes);
    else this.container.append(...block.nodes);
    return block;
  }

  #swap(old: Node[], nodes: Node[]): Node[] {
    const anchor = old[0];
    if (anchor && anchor.parentNode === this.container) {
      for (const n of nodes) this.container.insertBefore(n, anchor);
    } else {
      this.container.append(...nodes);
    }
    for (const n of old) if (!nodes.includes(n)) n.parentNode?.removeChild(n);
    return nodes;
  }

  #remove(block: RenderedBlock): void {
    for (const n of block.nodes) n.parentNode?.removeChild(n);
  }

  /** Makes every frozen block equal to its counterpart in a one-shot parse of the whole text. */
  #reconcile(): void {
    const { tokens, env } = this.#parse(this.#text, {});
    const whole = topLevelBlocks(tokens);
    const htmls = whole.map((b) => this.#renderHtml(tokens, b, env));
    if (whole.length === this.#frozen.length && htmls.every((h, i) => h === this.#htmlOf(this.#frozen[i]!))) return;
    if (whole.length !== this.#frozen.length) {
      for (const block of this.#frozen) this.#remove(block);
      this.container.replaceChildren();
      this.stats.reconciled += whole.length;
      this.#frozen.length = 0;
      whole.forEach((b) => this.#freezeBlock(this.#place(this.#renderBlock(tokens, b, env), undefined)));
      return;
    }
    whole.forEach((b, i) => {
      const shown = this.#frozen[i]!;
      if (this.#htmlOf(shown) === htmls[i]) return;
      this.stats.reconciled++;
      this.#frozen[i] = this.#decorate(this.#place(this.#renderBlock(tokens, b, env, htmls[i]), shown));
    });
  }
}

/** markdown-it normalises line endings; doing it first keeps line numbers and offsets in step. */
function normalize(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

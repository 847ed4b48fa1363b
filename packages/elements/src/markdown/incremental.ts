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
import { endsInOpenFence, lineStarts, offsetOfLine, topLevelBlocks, type TopBlock } from './blocks.js';
import { repairTail } from './repair.js';
import { sanitizeToFragment, sharedMarkdown } from './render-markdown.js';

type Token = ReturnType<MarkdownIt['parse']>[number];
type References = Record<string, unknown>;
interface Parsed {
  tokens: Token[];
  env: { references: References };
}
/** A parse of the open tail, reusable by the next step when nothing was frozen in between. */
interface TailParse extends Parsed {
  src: string;
}

interface RenderedBlock {
  html: string;
  nodes: Node[];
  /** Set for a top-level code fence: its info string and content, for the append-only fast path. */
  fence?: { info: string; content: string };
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
  /** Times an open code fence was extended by appending text only. */
  fenceAppends: number;
  /** Blocks `finish()` had to replace to match the one-shot render. */
  reconciled: number;
}

export class IncrementalMarkdown {
  private readonly md: MarkdownIt;
  private text = '';
  /** Length of the text covered by frozen blocks (always at a line start). */
  private frozenLength = 0;
  private frozenRefs: References = {};
  private readonly frozen: RenderedBlock[] = [];
  private open: RenderedBlock[] = [];
  private finished = false;
  readonly stats: IncrementalStats = { frozenBlocks: 0, tailRenders: 0, fenceAppends: 0, reconciled: 0 };

  constructor(
    readonly container: HTMLElement,
    private readonly options: IncrementalOptions = {},
  ) {
    this.md = options.md ?? sharedMarkdown();
  }

  /** The text rendered so far. */
  get current(): string {
    return this.text;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Shows `text`. When it extends the previous text only the tail is re-parsed; otherwise it starts over. */
  update(text: string): void {
    const normalized = normalize(text);
    if (!normalized.startsWith(this.text) || this.finished) this.reset();
    this.text = normalized;
    this.renderOpen(false, this.freezeSettled(false));
  }

  /** The text is complete: freeze everything and make the DOM equal to a one-shot render. */
  finish(text: string = this.text): void {
    const normalized = normalize(text);
    if (!normalized.startsWith(this.text) || this.finished) this.reset();
    this.text = normalized;
    this.renderOpen(true, this.freezeSettled(true));
    this.reconcile();
    this.finished = true;
  }

  /** Clears the container and all state. */
  reset(): void {
    this.container.replaceChildren();
    this.text = '';
    this.frozenLength = 0;
    this.frozenRefs = {};
    this.frozen.length = 0;
    this.open = [];
    this.finished = false;
  }

  private parse(src: string, refs: References): Parsed {
    const env = { references: { ...refs } };
    return { tokens: this.md.parse(src, env), env };
  }

  private renderBlock(tokens: Token[], block: TopBlock, env: object): RenderedBlock {
    const slice = tokens.slice(block.from, block.to);
    const html = this.md.renderer.render(slice, this.md.options, env);
    const first = slice[0]!;
    const fence = slice.length === 1 && first.type === 'fence' ? { info: first.info, content: first.content } : undefined;
    return { html, nodes: [...sanitizeToFragment(html).childNodes], ...(fence ? { fence } : {}) };
  }

  /** Freezes the blocks that can no longer change (all of them when `all`); returns the tail's parse if still valid. */
  private freezeSettled(all: boolean): TailParse | undefined {
    const tail = this.text.slice(this.frozenLength);
    const parsed = this.parse(tail, this.frozenRefs);
    const blocks = topLevelBlocks(parsed.tokens);
    const keepOpen = all ? 0 : 2;
    if (blocks.length <= keepOpen) return { ...parsed, src: tail };
    const cut = all ? tail.length : offsetOfLine(lineStarts(tail), blocks[blocks.length - keepOpen]!.startLine, tail.length);
    // Parse the settled part on its own: it yields exactly its blocks and the reference definitions it holds.
    const settled = this.parse(tail.slice(0, cut), this.frozenRefs);
    const settledBlocks = topLevelBlocks(settled.tokens);
    settledBlocks.forEach((block, i) => {
      const rendered = this.renderBlock(settled.tokens, block, settled.env);
      const shown = this.open[i];
      const keep = shown && shown.html === rendered.html ? shown : this.place(rendered, shown);
      this.freezeBlock(keep);
    });
    this.open = this.open.slice(settledBlocks.length);
    this.frozenLength += cut;
    this.frozenRefs = settled.env.references;
    return undefined;
  }

  private freezeBlock(block: RenderedBlock): void {
    this.frozen.push(this.decorate(block));
    this.stats.frozenBlocks++;
  }

  /** Lets the hook replace a block's nodes (it may move them, so the position is taken first). */
  private decorate(block: RenderedBlock): RenderedBlock {
    if (!this.options.onBlockFrozen) return block;
    const next = block.nodes[block.nodes.length - 1]?.nextSibling ?? null;
    const replaced = this.options.onBlockFrozen(block.nodes, block.html);
    if (!replaced) return block;
    for (const n of block.nodes) if (!replaced.includes(n) && n.parentNode === this.container) this.container.removeChild(n);
    for (const n of replaced) this.container.insertBefore(n, next && next.parentNode === this.container ? next : null);
    return { ...block, nodes: replaced };
  }

  /** Re-renders the open tail, replacing only blocks whose HTML changed. */
  private renderOpen(final: boolean, reuse: TailParse | undefined): void {
    const raw = this.text.slice(this.frozenLength);
    const parsedRaw = reuse && reuse.src === raw ? reuse : undefined;
    const src = !final && raw !== '' ? this.repaired(raw, parsedRaw) : raw;
    const { tokens, env } = parsedRaw && src === raw ? parsedRaw : this.parse(src, this.frozenRefs);
    const blocks = topLevelBlocks(tokens);
    const next: RenderedBlock[] = [];
    for (let i = 0; i < Math.max(blocks.length, this.open.length); i++) {
      const block = blocks[i];
      const shown = this.open[i];
      if (!block) {
        if (shown) this.remove(shown);
        continue;
      }
      const slice = tokens.slice(block.from, block.to);
      const html = this.md.renderer.render(slice, this.md.options, env);
      if (shown && shown.html === html) {
        next.push(shown);
        continue;
      }
      const first = slice[0]!;
      if (shown?.fence && slice.length === 1 && first.type === 'fence' && this.appendToFence(shown, first, html)) {
        next.push(shown);
        continue;
      }
      next.push(this.place(this.renderBlock(tokens, block, env), shown));
      this.stats.tailRenders++;
    }
    this.open = next;
  }

  /** The tail as it should look mid-stream (half-written syntax hidden), unless it ends in an open fence. */
  private repaired(src: string, parsed: Parsed | undefined): string {
    const { tokens } = parsed ?? this.parse(src, this.frozenRefs);
    const blocks = topLevelBlocks(tokens);
    const last = blocks[blocks.length - 1];
    if (!last) return src;
    const starts = lineStarts(src);
    if (last.type === 'fence' || last.type === 'code_block' || endsInOpenFence(tokens, last, starts.length)) return src;
    const at = offsetOfLine(starts, last.startLine, src.length);
    return src.slice(0, at) + repairTail(src.slice(at), last.type === 'paragraph_open');
  }

  /** Appends the new part of an open fence's content as text; false when it is not a pure extension. */
  private appendToFence(shown: RenderedBlock, token: Token, html: string): boolean {
    const fence = shown.fence!;
    if (token.info !== fence.info || !token.content.startsWith(fence.content)) return false;
    const code = shown.nodes.find((n): n is HTMLElement => n instanceof HTMLElement && n.localName === 'pre')?.querySelector('code');
    if (!code) return false;
    const added = token.content.slice(fence.content.length);
    if (added) code.append(added);
    shown.fence = { info: token.info, content: token.content };
    shown.html = html;
    this.stats.fenceAppends++;
    return true;
  }

  /** Puts a new block where `replacing` was (or at the end). */
  private place(block: RenderedBlock, replacing: RenderedBlock | undefined): RenderedBlock {
    if (replacing) block.nodes = this.swap(replacing.nodes, block.nodes);
    else this.container.append(...block.nodes);
    return block;
  }

  private swap(old: Node[], nodes: Node[]): Node[] {
    const anchor = old[0];
    if (anchor && anchor.parentNode === this.container) {
      for (const n of nodes) this.container.insertBefore(n, anchor);
    } else {
      this.container.append(...nodes);
    }
    for (const n of old) if (!nodes.includes(n)) n.parentNode?.removeChild(n);
    return nodes;
  }

  private remove(block: RenderedBlock): void {
    for (const n of block.nodes) n.parentNode?.removeChild(n);
  }

  /** Makes every frozen block equal to its counterpart in a one-shot parse of the whole text. */
  private reconcile(): void {
    const { tokens, env } = this.parse(this.text, {});
    const whole = topLevelBlocks(tokens);
    const htmls = whole.map((b) => this.md.renderer.render(tokens.slice(b.from, b.to), this.md.options, env));
    if (whole.length === this.frozen.length && htmls.every((h, i) => h === this.frozen[i]!.html)) return;
    if (whole.length !== this.frozen.length) {
      for (const block of this.frozen) this.remove(block);
      this.container.replaceChildren();
      this.stats.reconciled += whole.length;
      this.frozen.length = 0;
      whole.forEach((b) => this.freezeBlock(this.place(this.renderBlock(tokens, b, env), undefined)));
      return;
    }
    whole.forEach((b, i) => {
      const shown = this.frozen[i]!;
      if (shown.html === htmls[i]) return;
      this.stats.reconciled++;
      this.frozen[i] = this.decorate(this.place(this.renderBlock(tokens, b, env), shown));
    });
  }
}

/** markdown-it normalises line endings; doing it first keeps line numbers and offsets in step. */
function normalize(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Renders the formulas marked by ./math-syntax.ts. The KaTeX chunk is imported on the first formula only.
 *
 * Each formula renders once: the rendered MathML goes into a shadow root of its mark, so the mark's light DOM
 * (its TeX source, as text) stays exactly what the markdown renderer wrote. Later text of a streaming paragraph
 * is then still inserted in place (the renderer finds its text nodes unchanged) and the formula is never
 * touched again. A mark replaced by a re-render of its block renders again from a per-formula cache.
 */
import type * as KatexRender from './katex-render.js';

type KatexChunk = typeof KatexRender;

let chunk: Promise<KatexChunk> | undefined;
const rendered = new WeakSet<Element>();

/** Counters for tests and the bench: KaTeX calls, and formulas shown from the cache. */
export const mathStats = { renders: 0, cached: 0, failed: 0 };

/** Cached MathML per formula (display flag + source), cloned into each mark; bounded. */
const cache = new Map<string, Node[]>();
const CACHE_MAX = 200;

/** Loads the KaTeX chunk (once). Rejects when it cannot be fetched: formulas then stay as their source. */
function loadKatex(): Promise<KatexChunk> {
  chunk ??= import('./katex-render.js');
  return chunk;
}

/** Renders every formula mark in `root` not rendered yet; resolves when they are shown. */
export async function renderMathIn(root: ParentNode): Promise<void> {
  const marks = [...root.querySelectorAll<HTMLElement>('.llc-math[data-tex]')].filter((m) => !rendered.has(m));
  if (marks.length === 0) return;
  for (const m of marks) rendered.add(m);
  let katex: KatexChunk;
  try {
    katex = await loadKatex();
  } catch {
    mathStats.failed += marks.length;
    chunk = undefined;
    for (const m of marks) rendered.delete(m);
    return;
  }
  for (const mark of marks) show(mark, katex);
}

function show(mark: HTMLElement, katex: KatexChunk): void {
  const tex = mark.dataset.tex ?? '';
  const display = mark.classList.contains('llc-math-display');
  const key = `${display ? 'D' : 'I'}${tex}`;
  const shadow = mark.shadowRoot ?? mark.attachShadow({ mode: 'open' });
  let nodes = cache.get(key);
  if (nodes) {
    mathStats.cached++;
  } else {
    const scratch = document.createElement('span');
    katex.renderTex(scratch, tex, display);
    mathStats.renders++;
    nodes = [...scratch.childNodes];
    cache.set(key, nodes);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  shadow.replaceChildren(...nodes.map((n) => n.cloneNode(true)));
  mark.setAttribute('data-rendered', '');
}

/// <reference path="./mermaid-module.d.ts" />
/**
 * The Mermaid chunk: loaded on the first closed ```mermaid fence (a dynamic import; `npm run bundle` writes it
 * beside the bundle as llc-mermaid.js, with Mermaid's own diagram chunks under chunks/), so pages without
 * diagrams never download it.
 *
 * The diagram must not run script. Mermaid runs with securityLevel 'strict' (labels sanitised by its DOMPurify,
 * click handlers and `javascript:` links off) and plain SVG text labels (`htmlLabels: false`: no
 * `<foreignObject>` HTML). Its SVG string is then sanitised again by our own DOMPurify with the SVG profile
 * only, straight to DOM nodes (no string sink of ours). The `<style>` Mermaid puts in its SVG is taken out and
 * returned as CSS text with every `url(` and `@import` removed (a classDef must not make the page fetch a URL);
 * the drawing goes into a shadow root of the figure with that CSS as a constructed stylesheet (CSSOM: a CSP
 * without 'unsafe-inline' allows it). A block rendered again (the final check after the stream, a row re-created
 * by the virtualized list) is shown from a per-source cache.
 */
import DOMPurify from 'dompurify';
import mermaid from 'mermaid/dist/mermaid.esm.min.mjs';
import type { ChatStrings } from '../strings.js';

/** Counters for tests and the bench: Mermaid renders, diagrams shown from the cache, failures. */
export const diagramStats = { renders: 0, cached: 0, failed: 0 };

const cache = new Map<string, Promise<RenderedDiagram>>();
const CACHE_MAX = 50;

function draw(source: string): Promise<RenderedDiagram> {
  const hit = cache.get(source);
  if (hit) {
    diagramStats.cached++;
    return hit;
  }
  diagramStats.renders++;
  const drawing = renderMermaid(source);
  cache.set(source, drawing);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  drawing.catch(() => diagramStats.failed++);
  return drawing;
}

/** Draws `source` into `figure` (made by ./diagram-block.ts), or shows the error under the source. */
export async function drawInto(
  figure: HTMLElement,
  pre: HTMLPreElement,
  source: string,
  strings: ChatStrings,
): Promise<void> {
  try {
    const { svg, css } = await draw(source);
    const canvas = document.createElement('div');
    canvas.className = 'diagram-canvas';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', strings.diagram);
    const root = canvas.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(
      `${css}\n:host{display:block;block-size:100%}svg{inline-size:100%;block-size:100%;display:block}`,
    );
    root.adoptedStyleSheets = [sheet];
    root.append(svg.cloneNode(true));
    // The source stays in the figure (hidden), so Copy as text and find-in-page still reach it.
    pre.hidden = true;
    figure.prepend(canvas);
    figure.dataset.state = 'done';
  } catch (error) {
    const line = document.createElement('p');
    line.className = 'diagram-error';
    line.setAttribute('part', 'diagram-error');
    line.textContent = strings.diagramFailed(error instanceof Error ? error.message.split('\n')[0]! : String(error));
    figure.append(line);
    figure.dataset.state = 'error';
  }
}

/** A sanitised diagram: the `<svg>` element and the CSS it needs. */
export interface RenderedDiagram {
  svg: SVGSVGElement;
  css: string;
}

let initialized = false;
let counter = 0;
/** Mermaid keeps global state while it renders: one diagram at a time. */
let queue: Promise<unknown> = Promise.resolve();
let purifier: ReturnType<typeof DOMPurify> | undefined;

function init(): void {
  if (initialized) return;
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    htmlLabels: false,
    theme: 'neutral',
    // Bounded work for untrusted input (Mermaid's defaults are 50,000 characters and 500 edges).
    maxTextSize: 20_000,
    maxEdges: 300,
    // Errors are shown by us (the source and the message), not drawn as Mermaid's bomb diagram.
    suppressErrorRendering: true,
  });
  initialized = true;
}

/** Renders `source` to a sanitised SVG; rejects with Mermaid's message when it cannot be parsed or drawn. */
export function renderMermaid(source: string): Promise<RenderedDiagram> {
  const run = queue.then(() => renderNow(source));
  queue = run.catch(() => undefined);
  return run;
}

async function renderNow(source: string): Promise<RenderedDiagram> {
  init();
  const id = `llc-mermaid-${++counter}`;
  try {
    const { svg } = await mermaid.render(id, source);
    return sanitize(svg);
  } finally {
    // Mermaid measures text in a scratch element of the page; on an error it may be left behind.
    document.getElementById(`d${id}`)?.remove();
    document.getElementById(id)?.remove();
  }
}

function sanitize(markup: string): RenderedDiagram {
  purifier ??= DOMPurify(window);
  const fragment = purifier.sanitize(markup, {
    USE_PROFILES: { svg: true, svgFilters: true },
    // No inline style attributes (a strict CSP would refuse them); sizes come from our CSS.
    FORBID_ATTR: ['style'],
    RETURN_DOM_FRAGMENT: true,
  }) as unknown as DocumentFragment;
  const svg = fragment.querySelector('svg');
  if (!svg) throw new Error('Mermaid produced no SVG');
  let css = '';
  for (const style of svg.querySelectorAll('style')) {
    css += style.textContent ?? '';
    style.remove();
  }
  css = css.replace(/@import[^;]*;?/gi, '').replace(/url\s*\([^)]*\)/gi, 'none');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  return { svg, css };
}

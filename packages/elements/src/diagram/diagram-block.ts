/**
 * ```mermaid fences become diagrams, once: only a frozen block (its fence has closed and the answer has moved on,
 * or ended) gets here, so a diagram is never drawn from half a source, and nothing re-renders it as later text
 * streams (frozen blocks are never touched again). While the fence is open, and while Mermaid loads and draws,
 * the source shows as code.
 *
 * The figure's height is fixed from the moment it is created (`--llc-diagram-height`, 18rem by default) and the
 * drawing is scaled into it, so the text below does not move when the drawing arrives, nor when it fails (then
 * the source stays, with the error under it, scrolling inside the same box).
 *
 * Only this much is on the first load; the drawing (and Mermaid) is the separate chunk ./mermaid-render.ts.
 */
import type { ChatStrings } from '../strings.js';

/** Whether a fence's language is drawn as a diagram. */
export function isDiagramLanguage(language: string): boolean {
  return language === 'mermaid';
}

/** The figure shown for a closed mermaid fence: the source as code until the diagram is drawn into it. */
export function diagramBlock(source: string, pre: HTMLPreElement, strings: ChatStrings): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'diagram';
  figure.setAttribute('part', 'diagram');
  figure.dataset.state = 'loading';
  pre.setAttribute('part', 'code');
  pre.setAttribute('dir', 'ltr');
  figure.append(pre);
  import('./mermaid-render.js').then(
    (chunk) => chunk.drawInto(figure, pre, source, strings),
    // The chunk could not be fetched (offline): the source stays, as code.
    () => (figure.dataset.state = 'error'),
  );
  return figure;
}

/**
 * The KaTeX chunk: loaded on first use (a dynamic import; `npm run bundle` writes it beside the bundle as
 * llc-math.js), so pages without math never download it. It builds MathML with DOM calls (`katex.render`, no
 * HTML string is parsed): Chromium, Firefox and Safari draw MathML natively, so no KaTeX stylesheet or font
 * files are needed, and nothing is written in a `style` attribute (strict CSPs hold).
 */
import katex from 'katex';

/** Renders `tex` into `target` (replacing its children); a formula KaTeX cannot parse shows its source. */
export function renderTex(target: Element, tex: string, display: boolean): void {
  katex.render(tex, target as HTMLElement, {
    displayMode: display,
    output: 'mathml',
    throwOnError: false,
    // Models' output is untrusted: no \href, \url, \includegraphics, \htmlClass…; bounded macro expansion.
    trust: false,
    maxExpand: 1000,
    maxSize: 50,
    strict: 'ignore',
  });
}

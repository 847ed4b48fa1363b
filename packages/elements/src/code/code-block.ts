/**
 * Decorates a closed code fence: a toolbar with the language and a Copy button (accessible label), and
 * syntax highlighting loaded lazily and applied when the browser is idle. Highlighting runs only on frozen
 * blocks, i.e. after the fence has closed, never while its text is still arriving; large blocks are
 * highlighted in a worker (highlighter.ts) and their spans built here in idle-time slices.
 */
import { highlightCode } from './highlighter.js';
import { buildChunks, plainCopies } from './highlighted-code.js';
import type { ChatStrings } from '../strings.js';

/** What a code-block renderer receives. */
export interface CodeBlockInfo {
  code: string;
  /** The fence's language (first word of the info string), '' if none. */
  language: string;
  /** The `<pre>` markdown produced. */
  pre: HTMLPreElement;
  strings: ChatStrings;
}

/** Returns the element to show instead of `info.pre`. */
export type CodeBlockRenderer = (info: CodeBlockInfo) => Element;

/** The default code-block renderer. */
export const defaultCodeBlock: CodeBlockRenderer = ({ code, language, pre, strings }) => {
  const figure = document.createElement('div');
  figure.className = 'code-block';
  figure.setAttribute('part', 'code-block');
  const bar = document.createElement('div');
  bar.className = 'code-toolbar';
  bar.setAttribute('part', 'code-toolbar');
  const label = document.createElement('span');
  label.setAttribute('part', 'code-language');
  label.textContent = language;
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('part', 'copy-button');
  button.setAttribute('aria-label', strings.copyCode);
  button.textContent = strings.copy;
  button.addEventListener('click', () => void copy(code, button, strings));
  bar.append(label, button);
  pre.setAttribute('part', 'code');
  pre.setAttribute('dir', 'ltr');
  figure.append(bar, pre);
  const target = pre.querySelector('code');
  if (target && language) whenIdle(() => void highlightInto(target, code, language));
  return figure;
};

async function highlightInto(target: HTMLElement, code: string, language: string): Promise<void> {
  try {
    const highlighted = await highlightCode(code, language);
    // The text may have been replaced meanwhile (a reconcile or a reset); only decorate what is still ours.
    if (!highlighted || highlighted.text !== code || target.textContent !== code) return;
    let sliceStart = performance.now();
    const chunks = await buildChunks(
      highlighted,
      () => performance.now() - sliceStart > SLICE_MS,
      () =>
        new Promise<void>((resolve) =>
          whenIdle(() => {
            sliceStart = performance.now();
            resolve();
          }),
        ),
    );
    if (target.textContent !== code) return;
    // Same text, cut where the highlighted chunks are cut; then one highlighted chunk per frame, so styling
    // the spans never stalls the page (a chunk is 40 lines: a few ms).
    const plain = plainCopies(chunks);
    target.replaceChildren(...plain);
    for (let k = 0; k < chunks.length; k++) {
      if (plain[k]!.parentNode !== target) return;
      plain[k]!.replaceWith(chunks[k]!);
      if (k + 1 < chunks.length) await nextFrame();
    }
    target.classList.add('hljs');
  } catch (error) {
    // Highlighting is decoration: if the highlighter cannot load, the code stays readable as plain text.
    console.warn('llc: code highlighting unavailable', error);
  }
}

/** Main-thread time spent building spans before yielding to input and rendering. */
const SLICE_MS = 8;

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

async function copy(code: string, button: HTMLButtonElement, strings: ChatStrings): Promise<void> {
  try {
    await navigator.clipboard.writeText(code);
    button.textContent = strings.copied;
  } catch {
    button.textContent = strings.copyFailed;
  }
  setTimeout(() => (button.textContent = strings.copy), 2000);
}

function whenIdle(task: () => void): void {
  if ('requestIdleCallback' in globalThis) requestIdleCallback(task, { timeout: 500 });
  else setTimeout(task, 0);
}

/** Replaces each `<pre>` among `nodes` with the renderer's element; returns the new node list. */
export function decorateCodeBlocks(nodes: Node[], render: CodeBlockRenderer, strings: ChatStrings): Node[] | void {
  if (!nodes.some((n) => n instanceof HTMLPreElement)) return undefined;
  return nodes.map((node) => {
    if (!(node instanceof HTMLPreElement)) return node;
    const code = node.querySelector('code');
    const language = /(?:^|\s)language-(\S+)/.exec(code?.className ?? '')?.[1] ?? '';
    return render({ code: code?.textContent ?? '', language, pre: node, strings });
  });
}

/**
 * Code blocks: plain (append-only) while the fence is open; once it closes, a toolbar with a labelled Copy
 * button and lazily loaded highlighting; custom code-block and tool-call renderers replace the defaults.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/llc-message.js';
import type { LlcMessage } from '../src/llc-message.js';
import { configureHighlighting, highlightStats } from '../src/code/highlighter.js';
import { highlight } from '../src/code/highlight.js';
import { buildChunks, parseHighlightHtml, plainCopies, type Highlighted } from '../src/code/highlighted-code.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 600): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Text runs with the class names of their enclosing highlight spans (chunk wrappers left out), merged. */
function classedRuns(root: Node): [string, string][] {
  const runs: [string, string][] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const classes: string[] = [];
    for (let el = node.parentElement; el && el !== root && el.localName === 'span'; el = el.parentElement) {
      if (!el.classList.contains('code-chunk')) classes.unshift(el.className);
    }
    const key = classes.join('>');
    const last = runs[runs.length - 1];
    if (last && last[1] === key) last[0] += node.textContent;
    else runs.push([node.textContent ?? '', key]);
  }
  return runs;
}

describe('code blocks', () => {
  it('stay plain while the fence is open; highlighted with a Copy button once it closes', async () => {
    const el = await fixture<LlcMessage>(html`<llc-message role-name="assistant" status="streaming"></llc-message>`);
    const root = el.shadowRoot!;
    el.text = 'Here:\n\n```python\ndef f(x):\n    return x';
    await el.updateComplete;
    await frame();
    await frame();
    expect(root.querySelector('pre code')?.textContent).to.equal('def f(x):\n    return x');
    expect(root.querySelector('[part="copy-button"]')).to.equal(null);
    expect(root.querySelector('.hljs')).to.equal(null);

    el.text = 'Here:\n\n```python\ndef f(x):\n    return x\n```\n\nDone.';
    el.status = 'done';
    await until('the copy button', () => !!root.querySelector('[part="copy-button"]'));
    const button = root.querySelector<HTMLButtonElement>('[part="copy-button"]')!;
    expect(button.getAttribute('aria-label')).to.equal('Copy code');
    expect(root.querySelector('[part="code-language"]')!.textContent).to.equal('python');
    await until('highlighting', () => !!root.querySelector('code.hljs .hljs-keyword'));
    expect(root.querySelector('code.hljs')!.textContent).to.equal('def f(x):\n    return x\n');

    let copied: string | undefined;
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (text: string) => void (copied = text) },
    });
    button.click();
    await until('the copy', () => button.textContent === 'Copied');
    expect(copied).to.equal('def f(x):\n    return x\n');
  });

  it('uses a custom code-block renderer', async () => {
    const el = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        .renderers=${{
          'code-block': ({ code, language }: { code: string; language: string }) => {
            const div = document.createElement('div');
            div.className = 'mine';
            div.textContent = `${language}:${code}`;
            return div;
          },
        }}
        .text=${'```js\nlet a;\n```\n'}
      ></llc-message>`,
    );
    await until('the custom block', () => !!el.shadowRoot!.querySelector('.mine'));
    expect(el.shadowRoot!.querySelector('.mine')!.textContent).to.equal('js:let a;\n');
    expect(el.shadowRoot!.querySelector('pre')).to.equal(null);
    // The `tool-call` renderer (it receives each call's {id, name, args, status, result}) is tested in
    // tool-calls.browser.test.ts.
  });

  describe('large blocks', () => {
    /** About `chars` characters of JavaScript, different each call (so no cache can answer). */
    const program = (chars: number, tag: string) =>
      Array.from(
        { length: Math.ceil(chars / 60) },
        (_, i) => `const ${tag}${i} = await fetch("/api/${i}") && 'x' < 2; // #${i}\n`,
      ).join('');
    const closedFence = (code: string) => `Here:\n\n\`\`\`js\n${code}\`\`\`\n`;
    afterEach(() => configureHighlighting({ inlineMaxChars: 2_000, workerUrl: undefined }));

    it('are highlighted in a worker, with the same result as on the main thread', async () => {
      configureHighlighting({ inlineMaxChars: 1_000 });
      const before = { ...highlightStats };
      const code = program(30_000, 'w');
      const el = await fixture<LlcMessage>(
        html`<llc-message role-name="assistant" .text=${closedFence(code)}></llc-message>`,
      );
      const root = el.shadowRoot!;
      await until('worker highlighting', () => !!root.querySelector('code.hljs .hljs-keyword'), 1200);
      // 30,000 characters is past the inline fallback limit: only the worker could have highlighted it.
      expect(highlightStats.worker).to.equal(before.worker + 1);
      expect(highlightStats.inline).to.equal(before.inline);
      const shown = root.querySelector('code.hljs')!;
      expect(shown.textContent).to.equal(code);
      const reference = document.createElement('template');
      reference.innerHTML = highlight(code, 'js')!;
      // Same text with the same classes at every character; only split into 40-line chunks.
      expect(classedRuns(shown)).to.deep.equal(classedRuns(reference.content));
      const chunks = shown.querySelectorAll(':scope > .code-chunk');
      expect(chunks.length).to.equal(Math.ceil(code.split('\n').length / 40));
      expect(getComputedStyle(chunks[0]!).contentVisibility).to.equal('auto');
    });

    it('fall back when the worker cannot start: inline up to the fallback limit, plain beyond it', async () => {
      configureHighlighting({ inlineMaxChars: 100, workerUrl: '/no-such-highlight-worker.js' });
      const before = { ...highlightStats };
      const small = program(600, 's');
      const el = await fixture<LlcMessage>(
        html`<llc-message role-name="assistant" .text=${closedFence(small)}></llc-message>`,
      );
      await until('inline highlighting', () => !!el.shadowRoot!.querySelector('code.hljs .hljs-keyword'), 1200);
      expect(highlightStats.workerFailures).to.equal(before.workerFailures + 1);
      expect(highlightStats.inline).to.equal(before.inline + 1);

      const huge = program(25_000, 'h');
      const big = await fixture<LlcMessage>(
        html`<llc-message role-name="assistant" .text=${closedFence(huge)}></llc-message>`,
      );
      await until('the decision to leave it plain', () => highlightStats.plain === before.plain + 1, 1200);
      // The broken worker is not retried for every block.
      expect(highlightStats.workerFailures).to.equal(before.workerFailures + 1);
      expect(big.shadowRoot!.querySelector('code.hljs')).to.equal(null);
      expect(big.shadowRoot!.querySelector('pre code')!.textContent).to.equal(huge);
      expect(big.shadowRoot!.querySelector('[part="copy-button"]')).to.not.equal(null);
    });
  });

  describe('highlighted code', () => {
    /** The parse as [offset, class or '/' for a close] pairs, for readable expectations. */
    const marks = (h: Highlighted) =>
      Array.from({ length: h.marks.length / 2 }, (_, i) => [
        h.marks[2 * i]!,
        h.marks[2 * i + 1] ? h.classes[h.marks[2 * i + 1]! - 1]! : '/',
      ]);

    it('parses highlight.js output, nested spans and escapes included', () => {
      const h = parseHighlightHtml(
        '<span class="hljs-title function_">f</span>(<span class="hljs-string">&quot;a&amp;b&#x27;&lt;&gt;&quot;</span>)',
      )!;
      expect(h.text).to.equal('f("a&b\'<>")');
      expect(marks(h)).to.deep.equal([
        [0, 'hljs-title function_'],
        [1, '/'],
        [2, 'hljs-string'],
        [10, '/'],
      ]);
      const nested = parseHighlightHtml('<span class="a"><span class="b">x</span>y</span><span class="a">z</span>')!;
      expect(nested.text).to.equal('xyz');
      expect(marks(nested)).to.deep.equal([
        [0, 'a'],
        [0, 'b'],
        [1, '/'],
        [2, '/'],
        [2, 'a'],
        [3, '/'],
      ]);
      expect(nested.classes).to.deep.equal(['a', 'b']);
    });

    it('refuses anything highlight.js does not produce', () => {
      for (const bad of [
        '<img src=x onerror="alert(1)">',
        '<span class="a" onclick="x()">y</span>',
        '<span class="a">unclosed',
        'stray</span>',
        'a &nbsp; b',
        '<a href="javascript:alert(1)">x</a>',
      ]) {
        expect(parseHighlightHtml(bad), bad).to.equal(undefined);
      }
    });

    it('builds 40-line chunks, reopening spans that cross a chunk boundary', async () => {
      const comment = Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('');
      const chunks = await buildChunks(
        parseHighlightHtml(`<span class="hljs-comment">${comment}</span>tail`)!,
        () => false,
        async () => undefined,
      );
      expect(chunks.map((c) => c.className)).to.deep.equal(['code-chunk', 'code-chunk']);
      expect(chunks[0]!.innerHTML).to.equal(
        `<span class="hljs-comment">${comment.split('\n').slice(0, 40).join('\n')}\n</span>`,
      );
      expect(chunks[1]!.innerHTML).to.equal(
        `<span class="hljs-comment">${comment.split('\n').slice(40).join('\n')}</span>tail`,
      );
      expect(chunks[1]!.style.getPropertyValue('--llc-chunk-lines')).to.equal('11');
      // The plain text is cut at the same places (it is shown until each highlighted chunk replaces it).
      const plain = plainCopies(chunks);
      expect(plain.map((c) => c.textContent)).to.deep.equal([
        comment.split('\n').slice(0, 40).join('\n') + '\n',
        comment.split('\n').slice(40).join('\n') + 'tail',
      ]);
      expect(plain.every((c) => c.children.length === 0 && c.className === 'code-chunk')).to.equal(true);
      expect(plain[1]!.style.getPropertyValue('--llc-chunk-lines')).to.equal('11');
    });
  });
});

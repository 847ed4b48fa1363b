/**
 * Block-incremental markdown: the CommonMark spec examples streamed in random chunk sizes must end in exactly
 * the DOM of a one-shot render; finished blocks keep their DOM nodes; half-written syntax never shows raw.
 */
import { expect } from '@open-wc/testing';
import { IncrementalMarkdown } from '../src/markdown/incremental.js';
import { renderMarkdown } from '../src/markdown/render-markdown.js';

interface Example {
  markdown: string;
  number: number;
  section: string;
}

/** Same extraction as the `commonmark-spec` package's index.js (which reads the file with fs, so not usable here). */
async function specExamples(): Promise<Example[]> {
  const text = (await (await fetch('/node_modules/commonmark-spec/spec.txt')).text())
    .replace(/\r\n?/g, '\n')
    .replace(/^<!-- END TESTS -->(.|[\n])*/m, '');
  const examples: Example[] = [];
  let section = '';
  for (const m of text.matchAll(/^`{32} example\n([\s\S]*?)^\.\n([\s\S]*?)^`{32}$|^#{1,6} *(.*)$/gm)) {
    if (m[3] !== undefined) section = m[3];
    else examples.push({ markdown: m[1]!.replace(/→/g, '\t'), number: examples.length + 1, section });
  }
  return examples;
}

/** mulberry32: a small seeded PRNG, so a failing chunking can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function oneShot(text: string): string {
  const div = document.createElement('div');
  div.innerHTML = renderMarkdown(text);
  return div.innerHTML;
}

/** What the renderer shows for `text` when it gets it in one update (no streaming history, no fast path). */
function fresh(text: string): string {
  const renderer = new IncrementalMarkdown(document.createElement('div'));
  renderer.update(text);
  return renderer.container.innerHTML;
}

function stream(text: string, random: () => number, maxChunk: number): IncrementalMarkdown {
  const renderer = new IncrementalMarkdown(document.createElement('div'));
  let at = 0;
  while (at < text.length) {
    at = Math.min(text.length, at + 1 + Math.floor(random() * maxChunk));
    renderer.update(text.slice(0, at));
  }
  renderer.finish(text);
  return renderer;
}

describe('IncrementalMarkdown', () => {
  it('ends in the one-shot DOM for every CommonMark spec example, streamed in random chunk sizes', async function () {
    // ~650 examples, each streamed and rendered twice: seconds on a quiet machine, over 20 s at load ~20.
    this.timeout(90_000);
    const examples = await specExamples();
    expect(examples.length).to.be.greaterThan(600);
    const random = prng(0x11c);
    const mismatches: string[] = [];
    let reconciledExamples = 0;
    let frozen = 0;
    for (const example of examples) {
      for (const maxChunk of [1, 3, 12]) {
        const renderer = stream(example.markdown, random, maxChunk);
        if (renderer.container.innerHTML !== oneShot(example.markdown))
          mismatches.push(`#${example.number} (${example.section}, chunks ≤ ${maxChunk})`);
        if (renderer.stats.reconciled > 0) reconciledExamples++;
        frozen += renderer.stats.frozenBlocks;
      }
    }
    expect(mismatches).to.deep.equal([]);
    // Stronger than the equality above: no frozen block ever needed the final correction, and blocks did freeze.
    expect(reconciledExamples).to.equal(0);
    expect(frozen).to.be.greaterThan(2000);
  });

  it('every step shows what a fresh render of the same text shows (spec examples, random chunks)', async () => {
    const examples = await specExamples();
    const random = prng(0x5e9);
    const mismatches: string[] = [];
    let inserts = 0;
    for (const example of examples) {
      const container = document.createElement('div');
      const renderer = new IncrementalMarkdown(container);
      for (let at = 0; at < example.markdown.length;) {
        at = Math.min(example.markdown.length, at + 1 + Math.floor(random() * 4));
        const prefix = example.markdown.slice(0, at);
        renderer.update(prefix);
        if (container.innerHTML !== fresh(prefix)) {
          mismatches.push(`#${example.number} at ${at}: ${JSON.stringify(prefix)}`);
          break;
        }
      }
      inserts += renderer.stats.textInserts;
    }
    expect(mismatches).to.deep.equal([]);
    expect(inserts).to.be.greaterThan(500);
  });

  it('a long answer: finished blocks are frozen (same nodes), the final check replaces nothing', () => {
    const text =
      [
        '# Report',
        'First paragraph with **bold** and a [link](https://example.com).',
        '- one\n- two\n- three',
        '| a | b |\n|---|---|\n| 1 | 2 |',
        '```js\nconst x = 1;\nconsole.log(x);\n```',
        'Closing words.',
      ].join('\n\n') + '\n';
    const container = document.createElement('div');
    const renderer = new IncrementalMarkdown(container);
    let heading: Element | null = null;
    for (let i = 1; i <= text.length; i++) {
      renderer.update(text.slice(0, i));
      if (!heading && renderer.stats.frozenBlocks > 0) heading = container.querySelector('h1');
    }
    renderer.finish();
    expect(heading).to.not.equal(null);
    expect(container.querySelector('h1')).to.equal(heading);
    expect(renderer.stats.reconciled).to.equal(0);
    expect(renderer.stats.frozenBlocks).to.equal(6);
    expect(container.innerHTML).to.equal(oneShot(text));
  });

  it('an open code fence only appends text', () => {
    const container = document.createElement('div');
    const renderer = new IncrementalMarkdown(container);
    renderer.update('Intro\n\n```python\nprint(1)\n');
    const code = container.querySelector('pre code')!;
    const changes: MutationRecord[] = [];
    const observer = new MutationObserver((records) => changes.push(...records));
    observer.observe(container, { childList: true, subtree: true, characterData: true });
    let text = 'Intro\n\n```python\nprint(1)\n';
    for (let i = 2; i < 40; i++) {
      text += `print(${i})\n`;
      renderer.update(text);
    }
    changes.push(...observer.takeRecords());
    observer.disconnect();
    expect(container.querySelector('pre code')).to.equal(code);
    expect(code.textContent).to.equal(Array.from({ length: 39 }, (_, i) => `print(${i + 1})\n`).join(''));
    expect(changes.every((c) => c.target === code && c.removedNodes.length === 0)).to.equal(true);
    expect(renderer.stats.fenceAppends).to.equal(38);
    expect(renderer.stats.fenceFastAppends).to.equal(38);
  });

  it('a fence streamed line by line: the closing fence arriving in pieces never shows as code', () => {
    const lines = [
      'Intro',
      '',
      '```ts',
      ...Array.from({ length: 30 }, (_, i) => `const v${i} = ${i}; // \`${i}\``),
      '``',
      '`` not a closer',
      '    ```',
      '~~~',
      '```ts',
    ];
    const text = lines.join('\n') + '\n```\n\nAfter.\n';
    const container = document.createElement('div');
    const renderer = new IncrementalMarkdown(container);
    let code: Element | null = null;
    // Line by line, then from the `\`\`` line on character by character (`\``, `\`\``, `\`\`\``…).
    const cuts = lines.slice(0, 33).map((_, i) => lines.slice(0, i + 1).join('\n').length + 1);
    for (let at = cuts[cuts.length - 1]! + 1; at <= text.length; at++) cuts.push(at);
    for (const at of cuts) {
      const prefix = text.slice(0, at);
      renderer.update(prefix);
      code ??= container.querySelector('pre code');
      const shown = container.querySelector('pre code')?.textContent ?? '';
      expect(
        shown.split('\n').some((line) => /^ {0,3}`{3,}\s*$/.test(line)),
        `closing backticks shown at ${at}`,
      ).to.equal(false);
      expect(container.innerHTML, `at ${at}`).to.equal(fresh(prefix));
    }
    expect(container.querySelector('pre code')).to.equal(code);
    expect(renderer.stats.fenceAppends).to.be.greaterThan(30);
    expect(renderer.stats.fenceFastAppends).to.be.greaterThan(30);
    renderer.finish();
    expect(container.innerHTML).to.equal(oneShot(text));
    expect(renderer.stats.reconciled).to.equal(0);
  });

  it('open fences streamed in random chunks show what a fresh render of the same text shows', () => {
    const random = prng(0xfe7);
    const pieces = [
      '```',
      '````',
      '~~~',
      '``',
      '   ```',
      '    ```',
      '\t```',
      '``` x',
      '```  ',
      'code `x`',
      'a\u0000b',
      '',
      '- item',
      '> quote',
      '# head',
    ];
    for (let doc = 0; doc < 40; doc++) {
      const lines = ['Text', '', random() < 0.5 ? '```js' : '~~~~'];
      for (let i = 0; i < 25; i++) lines.push(pieces[Math.floor(random() * pieces.length)]!);
      const text = lines.join('\n') + (random() < 0.5 ? '\n' : '');
      const container = document.createElement('div');
      const renderer = new IncrementalMarkdown(container);
      for (let at = 0; at < text.length;) {
        at = Math.min(text.length, at + 1 + Math.floor(random() * 6));
        renderer.update(text.slice(0, at));
        expect(container.innerHTML, `doc ${doc} at ${at}: ${JSON.stringify(text.slice(0, at))}`).to.equal(
          fresh(text.slice(0, at)),
        );
      }
      renderer.finish();
      expect(container.innerHTML, `doc ${doc}`).to.equal(oneShot(text));
    }
  });

  it('hides half-written links, emphasis, code spans and tables while streaming', () => {
    const container = document.createElement('div');
    const renderer = new IncrementalMarkdown(container);
    const shown = (text: string) => {
      renderer.update(text);
      return (container.textContent ?? '').trim();
    };
    expect(shown('See [the docs](https://exa')).to.equal('See the docs');
    expect(container.querySelector('a')).to.equal(null);
    renderer.reset();
    expect(shown('This is **very imp')).to.equal('This is very imp');
    expect(container.querySelector('strong')?.textContent).to.equal('very imp');
    renderer.reset();
    expect(shown('Call `foo(')).to.equal('Call foo(');
    expect(container.querySelector('code')?.textContent).to.equal('foo(');
    renderer.reset();
    expect(shown('Some _emph')).to.equal('Some emph');
    renderer.reset();
    shown('Numbers:\n\n| a | b |\n|--');
    expect(container.textContent).to.not.contain('|');
    shown('Numbers:\n\n| a | b |\n|---|---|\n| 1 | 2');
    expect(container.querySelectorAll('td').length).to.equal(2);
    renderer.finish('Numbers:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n');
    expect(container.innerHTML).to.equal(oneShot('Numbers:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'));
  });

  it('a reference definition after the link: the final check replaces just that block', () => {
    const text = 'See [the spec][s].\n\nTwo.\n\nThree.\n\nFour.\n\n[s]: https://spec.commonmark.org\n';
    const renderer = stream(text, prng(7), 4);
    expect(renderer.stats.reconciled).to.equal(1);
    expect(renderer.container.querySelector('a')?.getAttribute('data-llc-href')).to.equal(
      'https://spec.commonmark.org',
    );
    expect(renderer.container.innerHTML).to.equal(oneShot(text));
  });

  it('starts over when the text is not an extension (edit, regenerate)', () => {
    const container = document.createElement('div');
    const renderer = new IncrementalMarkdown(container);
    renderer.update('# One\n\ntext\n\nmore');
    renderer.update('Other');
    renderer.finish();
    expect(container.innerHTML).to.equal(oneShot('Other'));
  });
});

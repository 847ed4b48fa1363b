/**
 * Mermaid diagrams: a ```mermaid fence shows as code while it streams and is drawn once it closes, in a fixed
 * box (nothing below moves when the drawing arrives), never again as later text streams; the drawing holds no
 * script, no inline event handler and no foreignObject HTML, even from a hostile source; a source Mermaid cannot
 * parse stays shown with the error; axe is clean.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import type { ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcMessage, LlcMessageList } from '../src/index.js';
import { diagramStats } from '../src/diagram/mermaid-render.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 3600): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

const answer = (key: string, text: string, status: ClientMessage['status']): ClientMessage => ({
  key,
  role: 'assistant',
  text,
  reasoning: '',
  createdAt: 1,
  status,
  lastSeq: 1,
  streamId: `s-${key}`,
});

async function listOf(): Promise<LlcMessageList> {
  return fixture<LlcMessageList>(
    html`<llc-message-list style="display:block;height:700px;width:640px"></llc-message-list>`,
  );
}

describe('mermaid diagrams', function () {
  this.timeout(120_000);

  it('shows the source while streaming, draws the diagram once the fence closes, never again as text keeps arriving, and nothing jumps', async () => {
    const list = await listOf();
    const message = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[message-key="d1"]')!;
    const root = () => message().shadowRoot!;
    const source = 'graph TD\n  A[Client] --> B[Relay]\n  B --> C{Bridge}\n  C -->|tokens| A\n';
    const streamed = `Here is the flow:\n\n\`\`\`mermaid\n${source}\`\`\`\n\nThe relay sits between.\n\nThen`;
    const before = { ...diagramStats };
    let text = '';
    for (const token of streamed.match(/.{1,4}/gs)!) {
      text += token;
      list.messages = [answer('d1', text, 'streaming')];
      await list.updateComplete;
      await frame();
      if (!text.includes('```\n\n')) {
        // The fence is open: its source is code, no diagram, and Mermaid has not run.
        expect(root().querySelector('.diagram-canvas'), 'no diagram while the fence is open').to.equal(null);
        expect(diagramStats.renders).to.equal(before.renders);
      }
    }
    message().flush();
    await until(
      'the diagram drawn',
      () => (root().querySelector('.diagram')?.getAttribute('data-state') ?? 'loading') !== 'loading',
    );
    expect(root().querySelector('.diagram-error')?.textContent ?? '', 'no error').to.equal('');
    const figure = root().querySelector<HTMLElement>('.diagram')!;
    const canvas = figure.querySelector('.diagram-canvas')!;
    const svg = canvas.shadowRoot!.querySelector('svg')!;
    expect(canvas.getAttribute('role')).to.equal('img');
    expect(svg.textContent).to.include('Relay');
    expect(diagramStats.renders - before.renders, 'one Mermaid render').to.equal(1);

    // Later text streams: the diagram's box and element stay, nothing is drawn again, the text below keeps its place.
    const height = figure.getBoundingClientRect().height;
    const tail = ' the relay fans tokens out to every tab.\n\nThe bridge talks to vLLM. '.repeat(6);
    let firstParagraphTop: number | undefined;
    for (const token of tail.match(/.{1,6}/gs)!) {
      text += token;
      list.messages = [answer('d1', text, 'streaming')];
      await list.updateComplete;
      await frame();
      const after = root().querySelector<HTMLElement>('.diagram')!;
      expect(after, 'the same figure').to.equal(figure);
      expect(after.getBoundingClientRect().height).to.equal(height);
      // The paragraph right after the diagram never moves relative to it (the list itself scrolls as it follows).
      const next = figure.nextElementSibling!.getBoundingClientRect().top - figure.getBoundingClientRect().top;
      firstParagraphTop ??= next;
      expect(next).to.equal(firstParagraphTop);
    }
    list.messages = [answer('d1', text, 'done')];
    await until('the end', () => root().querySelector('article')!.getAttribute('aria-busy') === 'false');
    for (let i = 0; i < 5; i++) await frame();
    expect(root().querySelector('.diagram')).to.equal(figure);
    expect(figure.querySelector('.diagram-canvas')!.shadowRoot!.querySelector('svg')).to.equal(svg);
    expect(diagramStats.renders - before.renders, 'still one Mermaid render').to.equal(1);
    expect(await axe(list)).to.deep.equal([]);
  });

  it('holds the box height from the fence closing to the drawing (the text after it does not move)', async () => {
    const list = await listOf();
    const source = 'sequenceDiagram\n  Alice->>Bob: Hello\n  Bob-->>Alice: Hi\n';
    list.messages = [answer('d2', `Before.\n\n\`\`\`mermaid\n${source}\`\`\`\n\nAfter the diagram.`, 'done')];
    await list.updateComplete;
    const root = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[message-key="d2"]')!.shadowRoot!;
    await until('rendered markdown', () => !!root().querySelector('.diagram'));
    const after = () =>
      [...root().querySelectorAll('.markdown p')].at(-1)!.getBoundingClientRect().top -
      root().querySelector('.markdown')!.getBoundingClientRect().top;
    const top = after();
    await until('the diagram drawn', () => root().querySelector('.diagram')?.getAttribute('data-state') !== 'loading');
    expect(root().querySelector('.diagram-error')?.textContent ?? '', 'no error').to.equal('');
    expect(after(), 'the paragraph after the diagram did not move').to.equal(top);
  });

  it('runs no script: a hostile source draws without handlers, scripts or foreignObject', async () => {
    const list = await listOf();
    (window as unknown as { pwned?: number }).pwned = 0;
    const source = [
      'graph TD',
      '  A["<img src=x onerror=window.pwned=1>"] --> B["<script>window.pwned=2</script>"]',
      '  click A call alert("x")',
      '  click B "javascript:window.pwned=3"',
      '  classDef evil fill:url(https://example.invalid/beacon);',
      '  class A evil',
      '',
    ].join('\n');
    list.messages = [answer('d3', `\`\`\`mermaid\n${source}\`\`\``, 'done')];
    await list.updateComplete;
    const root = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[message-key="d3"]')!.shadowRoot!;
    await until('drawn or failed', () =>
      ['done', 'error'].includes(root().querySelector('.diagram')?.getAttribute('data-state') ?? ''),
    );
    for (let i = 0; i < 10; i++) await frame();
    expect((window as unknown as { pwned?: number }).pwned).to.equal(0);
    const canvas = root().querySelector('.diagram-canvas');
    if (canvas) {
      const drawing = canvas.shadowRoot!;
      expect(drawing.querySelectorAll('script, foreignObject, img, iframe')).to.have.length(0);
      for (const el of drawing.querySelectorAll('*'))
        for (const attr of el.getAttributeNames()) {
          expect(attr.startsWith('on'), `${el.tagName} ${attr}`).to.equal(false);
          expect(el.getAttribute(attr) ?? '').not.to.match(/javascript:/i);
        }
      const css = drawing.adoptedStyleSheets.map((s) => [...s.cssRules].map((r) => r.cssText).join('\n')).join('\n');
      expect(css).not.to.include('example.invalid');
    }
  });

  it('shows the source and the error when Mermaid cannot parse it', async () => {
    const list = await listOf();
    list.messages = [answer('d4', '```mermaid\ngraph TD\n  A --> \n  ]]] nonsense [[[\n```', 'done')];
    await list.updateComplete;
    const root = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[message-key="d4"]')!.shadowRoot!;
    await until('the error', () => root().querySelector('.diagram')?.getAttribute('data-state') === 'error');
    const figure = root().querySelector('.diagram')!;
    expect(figure.querySelector('pre')!.hidden).to.equal(false);
    expect(figure.querySelector('pre')!.textContent).to.include(']]] nonsense [[[');
    expect(figure.querySelector('.diagram-error')!.textContent).to.match(/could not be drawn/);
    expect(figure.querySelector('.diagram-canvas')).to.equal(null);
    expect(await axe(list)).to.deep.equal([]);
  });
});

/**
 * Math: the syntax marks formulas (`$$…$$`, `\[…\]`, `\(…\)`, inline `$…$`) and never money (a corpus of
 * currency sentences, none may fire); KaTeX is loaded on the first formula and renders MathML; a formula in a
 * streaming answer renders once it closes and is not rendered again as the paragraph goes on; axe is clean.
 */
import './support/node-env.js';
import { expect, fixture, html } from '@open-wc/testing';
import type { ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcMessage, LlcMessageList } from '../src/index.js';
import { mathStats, renderMarkdown } from '../src/internal.js';
import { axe } from './support/axe.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
/** The task a streaming message's flush runs in, right after the frame that asked for it (streaming-markdown.ts). */
const flushTask = () => new Promise<void>((resolve) => setTimeout(resolve));
async function until(what: string, predicate: () => boolean, frames = 1800): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sentences about money as people and models write them: amounts in many formats, in many positions. */
function currencyCorpus(): string[] {
  const amounts = [
    '$5',
    '$10',
    '$1,000',
    '$3.50',
    '$0.99',
    '$20k',
    '$1.2M',
    '$100',
    '$7.5',
    '$250,000.00',
    '$45',
    '$2',
  ];
  const templates = [
    (a: string, b: string) => `It costs ${a} and ${b} with shipping.`,
    (a: string, b: string) => `Prices range from ${a} to ${b}.`,
    (a: string, b: string) => `Between ${a}-${b} per month.`,
    (a: string, b: string) => `${a}/${b} per seat, billed yearly.`,
    (a: string, b: string) => `I paid ${a}, you paid ${b}.`,
    (a: string, b: string) => `Save ${a} (was ${b}).`,
    (a: string, b: string) => `**${a}** now, **${b}** later.`,
    (a: string, b: string) => `- ${a} basic\n- ${b} pro`,
    (a: string, b: string) => `Budget: ${a}; actual: ${b}; difference: small.`,
    (a: string, b: string) => `US${a} or roughly CA${b}.`,
    (a: string, b: string) => `A ${a} fee plus a ${b} deposit = fair.`,
    (a: string, b: string) => `${a} USD and 3${b.slice(1)} later.`,
    (a: string, b: string) => `Tickets: ${a}. Parking: ${b}.`,
    (a: string, b: string) => `The ${a}–${b} tier is popular.`,
    (a: string, b: string) => `"${a}" vs "${b}"`,
    (a: string, b: string) => `Revenue grew from ${a} to ${b} (a 20% jump).`,
    (a: string, b: string) => `| plan | price |\n|---|---|\n| basic | ${a} |\n| pro | ${b} |`,
    (a: string, b: string) => `Costs ${a} each, or ${b} for ten, e.g. 5 × ${a} = more than ${b}.`,
  ];
  const out: string[] = [];
  for (const t of templates)
    for (let i = 0; i < amounts.length; i++) out.push(t(amounts[i]!, amounts[(i + 5) % amounts.length]!));
  return out;
}

const answer = (text: string, status: ClientMessage['status']): ClientMessage => ({
  key: 'a1',
  role: 'assistant',
  text,
  reasoning: '',
  createdAt: 1,
  status,
  lastSeq: 1,
  streamId: 's1',
});

describe('math', function () {
  this.timeout(90_000);

  it('never fires on money: a corpus of 200+ currency sentences stays text', () => {
    const corpus = currencyCorpus();
    expect(corpus.length).to.be.at.least(200);
    const fired = corpus.filter((s) => renderMarkdown(s).includes('llc-math'));
    expect(fired).to.deep.equal([]);
    expect(renderMarkdown('$5 and $10')).to.equal('<p>$5 and $10</p>\n');
    expect(renderMarkdown('a literal \\$x\\$ stays')).to.not.include('llc-math');
  });

  it('marks $…$, $$…$$, \\(…\\) and \\[…\\], inline and as blocks', () => {
    const marks = (md: string) =>
      [...new DOMParser().parseFromString(renderMarkdown(md), 'text/html').querySelectorAll('.llc-math')].map(
        (m) => `${m.localName}${m.classList.contains('llc-math-display') ? '*' : ''}:${m.getAttribute('data-tex')}`,
      );
    expect(marks('Euler: $e^{i\\pi}+1=0$.')).to.deep.equal(['span:e^{i\\pi}+1=0']);
    expect(marks('Area $A = \\pi r^2$ and $2x+1$ and $3 \\times 4$.')).to.deep.equal([
      'span:A = \\pi r^2',
      'span:2x+1',
      'span:3 \\times 4',
    ]);
    expect(marks('Inline \\(a^2\\) and display \\[b^2\\] here.')).to.deep.equal(['span:a^2', 'span*:b^2']);
    expect(marks('$$\n\\int_0^1 x\\,dx = \\frac12\n$$\n\nAfter.')).to.deep.equal(['div*:\\int_0^1 x\\,dx = \\frac12']);
    expect(marks('\\[\nE = mc^2\n\\]')).to.deep.equal(['div*:E = mc^2']);
    expect(marks('Then $$x+y$$ inline.')).to.deep.equal(['span*:x+y']);
    // Unclosed: text (it renders once it closes).
    expect(marks('so $$\n\\sum_i')).to.deep.equal([]);
    expect(marks('so $e^{i')).to.deep.equal([]);
  });

  it('renders a formula while the answer streams, once it closes, and never again as later text arrives; "$5 and $10" stays text', async () => {
    const list = await fixture<LlcMessageList>(
      html`<llc-message-list style="display:block;height:500px;width:600px"></llc-message-list>`,
    );
    const message = () => list.shadowRoot!.querySelector<LlcMessage>('llc-message[message-key="a1"]');
    const mark = () => message()?.shadowRoot?.querySelector<HTMLElement>('.llc-math');
    const head = 'Euler wrote $e^{i\\pi}+1=0$';
    let text = '';
    for (const token of head.match(/.{1,2}/gs)!) {
      text += token;
      list.messages = [answer(text, 'streaming')];
      await list.updateComplete;
      await frame();
    }
    await until('the formula rendered while streaming', () => !!mark()?.shadowRoot?.querySelector('math'));
    expect(message()!.status).to.equal('streaming');
    const before = mathStats.renders;
    const tail = ', which ties five constants together; it costs $5 and $10 to print it on a mug, say.';
    let rendered: HTMLElement | undefined;
    for (const token of tail.match(/.{1,3}/gs)!) {
      text += token;
      list.messages = [answer(text, 'streaming')];
      await list.updateComplete;
      await frame();
      await flushTask();
      // The first text after the formula starts a new text run (that block is rendered anew and the formula
      // shown from the cache, in the same frame); from then on the words are inserted in place.
      rendered ??= mark() ?? undefined;
      expect(mark()!.shadowRoot!.querySelector('math'), 'the formula stays rendered').to.not.equal(null);
    }
    list.messages = [answer(text, 'done')];
    await until(
      'the end',
      () => message()!.shadowRoot!.querySelector('article')!.getAttribute('aria-busy') === 'false',
    );
    for (let i = 0; i < 5; i++) await frame();
    expect(mark(), 'the same formula element, never replaced').to.equal(rendered);
    expect(mathStats.renders, 'KaTeX ran once for the formula').to.equal(before);
    const math = rendered!.shadowRoot!.querySelector('math')!;
    expect(math.querySelector('annotation')?.textContent).to.equal('e^{i\\pi}+1=0');
    expect(message()!.shadowRoot!.querySelectorAll('.llc-math')).to.have.length(1);
    expect(message()!.shadowRoot!.querySelector('.markdown')!.textContent).to.include('costs $5 and $10 to print');
    expect(await axe(list)).to.deep.equal([]);
  });
});

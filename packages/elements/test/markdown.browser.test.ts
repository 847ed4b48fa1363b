import { expect } from '@open-wc/testing';
import DOMPurify from 'dompurify';
import { isSafeUrl, renderMarkdown, sanitizeToFragment } from '../src/markdown/render-markdown.js';

function fragment(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown (safe by default)', () => {
  it('renders headings, lists, tables and code', () => {
    const el = fragment(
      renderMarkdown('# Title\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```js\nlet a = 1;\n```\n'),
    );
    expect(el.querySelector('h1')?.textContent).to.equal('Title');
    expect(el.querySelectorAll('li').length).to.equal(2);
    expect(el.querySelector('table td')?.textContent).to.equal('1');
    expect(el.querySelector('pre code')?.textContent).to.equal('let a = 1;\n');
  });

  it('aligns table columns by data-align, with no style attribute (a strict CSP refuses those)', () => {
    const el = fragment(renderMarkdown('| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n'));
    expect(el.querySelector('[style]')).to.equal(null);
    const aligns = (row: string) => [...el.querySelectorAll(row)].map((c) => c.getAttribute('data-align'));
    expect(aligns('th')).to.deep.equal(['left', 'center', 'right', null]);
    expect(aligns('td')).to.deep.equal(['left', 'center', 'right', null]);
  });

  it('never renders raw HTML from the model', () => {
    const el = fragment(renderMarkdown('<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b>'));
    expect(el.querySelector('img')).to.equal(null);
    expect(el.querySelector('script')).to.equal(null);
    expect(el.querySelector('b')).to.equal(null);
    expect(el.textContent).to.contain('<script>');
  });

  it('refuses javascript: and data: links and images', () => {
    const el = fragment(
      renderMarkdown(
        '[x](javascript:alert(1)) [y](data:text/html,hi) ![z](data:image/png;base64,AAAA) [ok](https://example.com)',
      ),
    );
    const hrefs = [...el.querySelectorAll('a')].map((a) => a.getAttribute('data-llc-href'));
    expect(hrefs).to.deep.equal(['https://example.com']);
    expect(el.querySelector('img, [data-llc-src]')).to.equal(null);
  });

  it('marks links to open without an opener; images stay inert (see safe-content tests)', () => {
    const el = fragment(renderMarkdown('[a](https://example.com) ![b](https://example.com/i.png)'));
    const a = el.querySelector('a')!;
    expect(a.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(a.getAttribute('target')).to.equal('_blank');
    expect(el.querySelector('img')).to.equal(null);
    expect(el.querySelector('[data-llc-src]')!.getAttribute('data-llc-src')).to.equal('https://example.com/i.png');
  });

  it('classifies URLs', () => {
    expect(isSafeUrl('https://a.b')).to.equal(true);
    expect(isSafeUrl('/relative')).to.equal(false);
    expect(isSafeUrl('JaVaScRiPt:alert(1)')).to.equal(false);
    expect(isSafeUrl(' data:text/html,x')).to.equal(false);
    expect(isSafeUrl('vbscript:x')).to.equal(false);
  });

  it("uses private sanitiser instances: the page's own DOMPurify keeps its behaviour", () => {
    renderMarkdown('[a](https://example.com)');
    sanitizeToFragment('<p>x</p>');
    const div = fragment(DOMPurify.sanitize('<a href="javascript:alert(1)">x</a><a href="https://example.com">y</a>'));
    expect(div.querySelector('a[href^="https"]')!.hasAttribute('target')).to.equal(false);
    const ours = sanitizeToFragment(
      '<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AA" onerror="alert(1)">',
    );
    expect(ours.querySelector('a')!.hasAttribute('href')).to.equal(false);
    expect(ours.querySelector('a')!.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(ours.querySelector('img')!.hasAttribute('src')).to.equal(false);
    expect(ours.querySelector('img')!.hasAttribute('onerror')).to.equal(false);
  });
});

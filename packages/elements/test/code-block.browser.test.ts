/**
 * Code blocks: plain (append-only) while the fence is open; once it closes, a toolbar with a labelled Copy
 * button and lazily loaded highlighting; custom code-block and tool-call renderers replace the defaults.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/llc-message.js';
import type { LlcMessage } from '../src/llc-message.js';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
async function until(what: string, predicate: () => boolean, frames = 600): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (predicate()) return;
    await frame();
  }
  throw new Error(`timed out waiting for ${what}`);
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
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (text: string) => void (copied = text) } });
    button.click();
    await until('the copy', () => button.textContent === 'Copied');
    expect(copied).to.equal('def f(x):\n    return x\n');
  });

  it('uses a custom code-block renderer and a tool-call renderer', async () => {
    const el = await fixture<LlcMessage>(html`<llc-message
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
    ></llc-message>`);
    await until('the custom block', () => !!el.shadowRoot!.querySelector('.mine'));
    expect(el.shadowRoot!.querySelector('.mine')!.textContent).to.equal('js:let a;\n');
    expect(el.shadowRoot!.querySelector('pre')).to.equal(null);

    const tool = await fixture<LlcMessage>(html`<llc-message
      role-name="assistant"
      .finishReason=${'tool_calls'}
      .renderers=${{ 'tool-call': ({ text }: { text: string }) => html`<output class="tool">${text.toUpperCase()}</output>` }}
      .text=${'get_weather(paris)'}
    ></llc-message>`);
    expect(tool.shadowRoot!.querySelector('.tool')!.textContent).to.equal('GET_WEATHER(PARIS)');
  });
});

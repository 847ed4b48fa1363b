/**
 * Tool calls in an answer, live: arguments stream into the call's box ("Preparing…"), a complete call waits for
 * approval with Approve / Deny, a decision fires `llc-tool-decision` once and the call shows what the app then
 * reports (`toolStates`: running, done with the result, error); a custom renderer gets `{ id, name, args, status,
 * result }`; axe finds nothing in any of these states.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { ToolCallState } from '@locallightchat/protocol';
import { applyToolCallParts } from '@locallightchat/protocol';
import '../src/index.js';
import type { LlcMessage, ToolCallInfo, ToolDecisionEventDetail } from '../src/index.js';
import { axe } from './support/axe.js';

const box = (el: LlcMessage) => el.shadowRoot!.querySelector<HTMLElement>('.tool-call')!;

describe('tool calls', () => {
  it('stream their arguments, wait for approval, report the decision once, then show the outcome', async () => {
    const decisions: ToolDecisionEventDetail[] = [];
    const el = await fixture<LlcMessage>(
      html`<llc-message role-name="assistant" status="streaming" message-key="a1"></llc-message>`,
    );
    el.addEventListener('llc-tool-decision', (e) => decisions.push(e.detail));
    const announced: string[] = [];
    el.addEventListener('llc-announce', (e) => announced.push(e.detail.text));
    let calls: ToolCallState[] = [];
    const stream = async (...parts: Parameters<typeof applyToolCallParts>[1]) => {
      calls = applyToolCallParts(
        calls.map((c) => ({ ...c })),
        parts,
      );
      el.toolCalls = calls;
      await el.updateComplete;
    };
    el.text = 'Let me check.';
    await stream({ index: 0, id: 'call-1', name: 'get_weather', args: '{"city": "' });
    expect(box(el).dataset.status).to.equal('streaming');
    expect(box(el).querySelector('.tool-call-status')!.textContent).to.equal('Preparing…');
    expect(box(el).querySelector('.tool-call-args')!.textContent).to.equal('{"city": "');
    expect(box(el).querySelector('button')).to.equal(null);
    expect(await axe(el)).to.deep.equal([]);
    await stream({ index: 0, args: 'Paris"}' });
    expect(box(el).querySelector('.tool-call-args')!.textContent).to.equal('{"city": "Paris"}');
    await stream({ index: 0, end: true });
    el.status = 'done';
    el.finishReason = 'tool_calls';
    await el.updateComplete;
    expect(box(el).dataset.status).to.equal('awaiting-approval');
    expect(box(el).getAttribute('aria-label')).to.equal('Tool call: get_weather');
    expect(announced.filter((t) => t.startsWith('Tool call'))).to.deep.equal([
      'Tool call get_weather is waiting for your approval.',
    ]);
    expect(await axe(el)).to.deep.equal([]);
    const approve = box(el).querySelector<HTMLButtonElement>('[part="tool-approve-button"]')!;
    expect(approve.textContent!.trim()).to.equal('Approve');
    approve.click();
    approve.click();
    await el.updateComplete;
    expect(decisions).to.deep.equal([
      { decision: 'approve', messageKey: 'a1', id: 'call-1', name: 'get_weather', args: '{"city": "Paris"}' },
    ]);
    expect(box(el).dataset.status).to.equal('running');
    expect(box(el).querySelector('button')).to.equal(null);
    el.toolStates = new Map([['call-1', { status: 'done', result: '{"temp_c": 18}' }]]);
    await el.updateComplete;
    expect(box(el).dataset.status).to.equal('done');
    expect(box(el).querySelector('.tool-call-result')!.textContent).to.equal('{"temp_c": 18}');
    expect(announced.filter((t) => t.startsWith('Tool call'))).to.have.length(1);
    expect(await axe(el)).to.deep.equal([]);
  });

  it('deny is reported too, and a stopped answer does not offer its cut-off call for approval', async () => {
    const decisions: string[] = [];
    const el = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        status="done"
        .toolCalls=${[{ index: 0, id: 'c', name: 'rm', arguments: '{}', complete: true }]}
        @llc-tool-decision=${(e: CustomEvent<ToolDecisionEventDetail>) => decisions.push(e.detail.decision)}
      ></llc-message>`,
    );
    box(el).querySelector<HTMLButtonElement>('[part="tool-deny-button"]')!.click();
    await el.updateComplete;
    expect(decisions).to.deep.equal(['deny']);
    expect(box(el).dataset.status).to.equal('denied');
    const stopped = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        status="stopped"
        .toolCalls=${[{ index: 0, id: 'c', name: 'rm', arguments: '{"pa', complete: false }]}
      ></llc-message>`,
    );
    expect(box(stopped).dataset.status).to.equal('error');
    expect(box(stopped).querySelector('button')).to.equal(null);
  });

  it('a custom renderer receives { id, name, args, status, result }', async () => {
    const seen: Omit<ToolCallInfo, 'strings' | 'decide'>[] = [];
    const el = await fixture<LlcMessage>(
      html`<llc-message
        role-name="assistant"
        status="done"
        message-key="k"
        .toolCalls=${[{ index: 0, id: 'c9', name: 'search', arguments: '{"q":"x"}', complete: true }]}
        .toolStates=${new Map([['c9', { status: 'error', result: 'timeout' }]])}
        .renderers=${{
          'tool-call': ({ strings: _s, decide: _d, ...info }: ToolCallInfo) => {
            seen.push(info);
            const p = document.createElement('p');
            p.className = 'mine';
            p.textContent = `${info.name}: ${info.status}`;
            return p;
          },
        }}
      ></llc-message>`,
    );
    expect(el.shadowRoot!.querySelector('.mine')!.textContent).to.equal('search: error');
    expect(seen.at(-1)).to.deep.equal({
      id: 'c9',
      name: 'search',
      args: '{"q":"x"}',
      status: 'error',
      result: 'timeout',
      messageKey: 'k',
    });
  });
});

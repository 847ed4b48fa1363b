/**
 * Reasoning end to end: the demo stack with the simulator acting as a reasoning model (`LLC_SIM_REASONING_FIELD=
 * reasoning`, vLLM's `delta.reasoning`), a slow profile so the thinking phase lasts long enough to be seen. The
 * answer's "Thinking" part is open while the model thinks, closes when the answer starts and shows the duration;
 * a reload mid-thought resumes the stream by seq, and the reasoning comes back from history after another reload,
 * identical, with the bridge's duration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Page } from 'playwright-core';
import { startDemo, type Demo } from './support/demo.js';

let demo: Demo;

before(async () => {
  demo = await startDemo({
    env: {
      LLC_DEMO_HISTORY: '0',
      LLC_SIM_PROFILE: '70b-fp8-2xh100',
      LLC_SIM_REASONING_FIELD: 'reasoning',
    },
  });
});

after(async () => {
  await demo?.close();
});

const answerPart = (page: Page) =>
  page.locator('llc-message[role-name="assistant"]').last().locator('details.reasoning');

async function thinkingPart(page: Page): Promise<{ open: boolean; summary: string; text: string }> {
  const part = answerPart(page);
  return {
    open: await part.evaluate((d) => (d as HTMLDetailsElement).open),
    summary: ((await part.locator('summary').textContent()) ?? '').trim(),
    text: (await part.locator('.reasoning-text').textContent()) ?? '',
  };
}

describe('reasoning (real Chromium, real stack, simulator as a reasoning model)', () => {
  it('shows "Thinking" open while reasoning, collapses with the duration, resumes after a reload and comes back from history', async () => {
    const page = await demo.browser.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    await page.goto(demo.url);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await box.fill('Why do streams need sequence numbers?');
    await box.press('Enter');

    await answerPart(page).waitFor({ timeout: 30_000 });
    const early = await thinkingPart(page);
    assert.equal(early.summary, 'Thinking…');
    assert.equal(early.open, true, 'open while the model thinks');

    // Reload mid-thought: the client resumes the stream by seq.
    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    const answer = page.locator('llc-message[role-name="assistant"]').last();
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 60_000 });
    const done = await thinkingPart(page);
    assert.equal(done.open, false, 'collapsed once the answer is there');
    assert.match(done.summary, /^Thought for \d+ s$/);
    assert.match(done.text, /^The user asks about /, 'the reasoning from its first token');
    const answerText = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    assert.ok(answerText.trim().length > 40, 'the answer itself streamed after the thoughts');
    assert.ok(!answerText.includes(done.text.slice(0, 30)), 'reasoning is not mixed into the answer');

    // From history: the same reasoning, the bridge's duration.
    await page.reload();
    await answerPart(page).waitFor({ timeout: 30_000 });
    const stored = await thinkingPart(page);
    assert.equal(stored.text, done.text);
    assert.equal(stored.summary, done.summary);
    assert.equal(stored.open, false);
    await answerPart(page).locator('summary').click();
    assert.equal((await thinkingPart(page)).open, true, 'the reader can open it');
    await page.close();
  });
});

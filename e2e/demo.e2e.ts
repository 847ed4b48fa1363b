/**
 * The demo as a new user meets it: `node demo/start.js` (what `npm start` runs after building), Debian's
 * Chromium driven by playwright-core, a message typed into the page, a streamed markdown answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startProcess, type StartedProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
let demo: StartedProcess;
let browser: Browser;
let url: string;

before(async () => {
  demo = await startProcess(process.execPath, ['demo/start.js'], {
    cwd: root,
    env: { LLC_PORT: '0', LLC_SIM_PROFILE: 'fast', LLC_LOG_LEVEL: 'warn' },
    ready: /^(http:\/\/localhost:\d+\/)$/,
  });
  url = demo.match[1]!;
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function openChat(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(url);
  return page;
}

describe('demo end to end (real Chromium, real stack)', () => {
  it('serves the page and streams a markdown answer to a typed message', async () => {
    const page = await openChat();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Explain how token streaming works, with an example.');
    await box.press('Enter');

    const log = page.getByRole('log');
    await log.getByText('Explain how token streaming works, with an example.').waitFor();
    // The answer streams: it is busy first, then done, with rendered markdown (not raw markup).
    const answer = page.locator('llc-message[role-name="assistant"]').first();
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 30_000 });
    const html = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.innerHTML);
    assert.match(html, /<(h[1-6]|ul|ol|table|pre|p)[\s>]/, 'markdown rendered to elements');
    const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    assert.ok(text.trim().length > 40, 'a substantial answer');
    assert.ok(!/^#{1,6} /m.test(text), 'no raw heading markup in the text');
    await page.close();
  });

  it('is accessible from day one: log, labelled textbox, Send and Stop generating', async () => {
    const page = await openChat();
    assert.equal(await page.getByRole('log').count(), 1);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Write a long answer about distributed systems.');
    assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 1);
    await page.getByRole('button', { name: 'Send' }).click();
    const stop = page.getByRole('button', { name: 'Stop generating' });
    await stop.waitFor();
    const busy = page.locator('llc-message[role-name="assistant"] article[aria-busy="true"]');
    await busy.first().waitFor();
    await stop.click();
    await page.locator('llc-message[role-name="assistant"]').last().getByText('Stopped.').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await page.close();
  });

  it('shows the conversation again after a reload (history from the relay)', async () => {
    const page = await openChat();
    const box = page.getByRole('textbox', { name: 'Message' });
    const question = `Remember this: ${Date.now()}`;
    await box.fill(question);
    await box.press('Enter');
    await page.locator('llc-message[role-name="assistant"] article[aria-busy="false"]').last().waitFor({ timeout: 30_000 });
    await page.reload();
    await page.getByRole('log').getByText(question).waitFor();
    await page.close();
  });
});

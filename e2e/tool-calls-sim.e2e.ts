/**
 * The approval flow on the demo (`npm start`'s stack: the simulator as a tool-calling model, the demo's
 * get_weather tool offered by the bridge's tools hook, the demo page as the app that runs approved calls):
 * a call streams its arguments, waits for approval, runs once after Approve, and after a reload it shows its
 * result again without asking twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
let demo: StartedProcess;
let browser: Browser;
let url: string;

before(async () => {
  demo = await startProcess(process.execPath, ['demo/start.js'], {
    cwd: root,
    // A slow profile, so the arguments are seen streaming.
    env: { LLC_PORT: '0', LLC_LOG_LEVEL: 'warn', LLC_DEMO_HISTORY: '0', LLC_SIM_PROFILE: '70b-fp8-2xh100' },
    ready: /^(http:\/\/localhost:\d+\/)$/,
  });
  url = demo.match[1]!;
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const call = (page: Page) => page.locator('llc-message[role-name="assistant"]').last().locator('.tool-call');

describe('tool-call approval on the demo (real Chromium, simulator as a tool-calling model)', () => {
  it('streams the call, waits for approval, runs it once, and shows the result again after a reload', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    await page.goto(url);
    // A string, not a function: the test runner's transform would add helpers the page does not have.
    await page.evaluate(`
      window.decisions = 0;
      window.statuses = [];
      document.addEventListener('llc-tool-decision', () => window.decisions++);
      // Every status the call shows, frame by frame (a status may last only a few frames).
      (function watch() {
        const list = document.querySelector('llc-chat')?.shadowRoot?.querySelector('llc-message-list');
        const messages = [...(list?.shadowRoot?.querySelectorAll('llc-message') ?? [])];
        const status = messages.at(-1)?.shadowRoot?.querySelector('.tool-call')?.dataset.status;
        if (status && window.statuses.at(-1) !== status) window.statuses.push(status);
        requestAnimationFrame(watch);
      })();
    `);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await box.fill('Please use get_weather for Lisbon');
    await box.press('Enter');

    await call(page).and(page.locator('[data-status="awaiting-approval"]')).waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    assert.deepEqual(seen, ['streaming', 'awaiting-approval'], 'the arguments were seen streaming first');
    assert.equal(await call(page).locator('.tool-call-name').textContent(), 'get_weather');
    const args = JSON.parse((await call(page).locator('.tool-call-args').textContent()) ?? '') as Record<
      string,
      string
    >;
    assert.equal(args.city, 'lisbon');
    assert.equal(args.unit, 'celsius');

    await call(page).getByRole('button', { name: 'Approve' }).click();
    await call(page).and(page.locator('[data-status="done"]')).waitFor({ timeout: 15_000 });
    assert.match((await call(page).locator('.tool-call-result').textContent()) ?? '', /"city":"lisbon","temp_c":21/);
    assert.equal(await page.evaluate(() => (window as unknown as { decisions: number }).decisions), 1);

    await page.reload();
    await call(page).and(page.locator('[data-status="done"]')).waitFor({ timeout: 30_000 });
    assert.equal(await call(page).getByRole('button', { name: 'Approve' }).count(), 0, 'not offered again');
    await page.close();
  });
});

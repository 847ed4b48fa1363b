/**
 * Tool calls through the real stack: the demo (`demo/start.js`) in front of an OpenAI-compatible server of this
 * test's own that streams the recorded-shape vLLM tool-call fixture (two parallel calls, arguments in
 * fragments) slowly. The page shows the calls while their arguments stream, then waiting for approval; Approve
 * fires `llc-tool-decision` once with the call's id and complete arguments; after a reload the calls come back
 * from the relay's history with the same arguments.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Page } from 'playwright-core';
import { startDemo, type Demo } from './support/demo.js';

const fixture = readFileSync(
  new URL('../packages/inference-bridge/test/fixtures/vllm-tool-calls.sse', import.meta.url),
  'utf8',
);
let backend: Server;
let demo: Demo;

before(async () => {
  backend = createServer((req, res) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'Qwen/Qwen2.5-7B-Instruct' }] }));
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const events = fixture.split(/(?<=\n\n)/);
      const next = () => {
        const event = events.shift();
        if (event === undefined || res.destroyed) return void res.end();
        res.write(event);
        setTimeout(next, 150);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
  demo = await startDemo({ env: { LLC_DEMO_HISTORY: '0', LLC_BACKEND_URL: backendUrl } });
});

after(async () => {
  await demo?.close();
  await new Promise((resolve) => backend?.close(resolve));
});

const calls = (page: Page) => page.locator('llc-message[role-name="assistant"]').last().locator('.tool-call');

describe('tool calls (real Chromium, real stack, vLLM tool-call stream)', () => {
  it('stream their arguments, wait for approval, report the decision once, and come back from history', async () => {
    const page = await demo.browser.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    await page.goto(demo.url);
    await page.evaluate(() => {
      const w = window as unknown as { decisions: unknown[] };
      w.decisions = [];
      document.addEventListener('llc-tool-decision', (e) => w.decisions.push((e as CustomEvent).detail));
    });
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await box.fill('Weather in Paris and Tokyo?');
    await box.press('Enter');

    await calls(page).first().and(page.locator('[data-status="streaming"]')).waitFor({ timeout: 30_000 });
    await calls(page).nth(1).and(page.locator('[data-status="awaiting-approval"]')).waitFor({ timeout: 30_000 });
    assert.equal(await calls(page).count(), 2);
    const args = await calls(page).locator('.tool-call-args').allTextContents();
    assert.deepEqual(args, ['{"city": "Paris", "unit": "celsius"}', '{"city": "Tokyo", "unit": "celsius"}']);
    assert.match(
      (await page.locator('llc-message[role-name="assistant"]').last().locator('.content').textContent()) ?? '',
      /I'll check both cities\./,
    );

    await calls(page).first().getByRole('button', { name: 'Approve' }).click();
    await calls(page).first().and(page.locator('[data-status="running"]')).waitFor();
    const decisions = await page.evaluate(() => (window as unknown as { decisions: unknown[] }).decisions);
    assert.equal(decisions.length, 1, 'one decision, however often the page re-renders');
    const { messageKey, ...decision } = decisions[0] as { messageKey: string };
    assert.ok(messageKey.length > 0);
    assert.deepEqual(decision, {
      decision: 'approve',
      id: 'chatcmpl-tool-4f0e9a1c2b3d4e5f8a7b6c5d4e3f2a1b',
      name: 'get_weather',
      args: '{"city": "Paris", "unit": "celsius"}',
    });

    await page.reload();
    await calls(page).nth(1).waitFor({ timeout: 30_000 });
    assert.deepEqual(await calls(page).locator('.tool-call-args').allTextContents(), args);
    await page.close();
  });
});

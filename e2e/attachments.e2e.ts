/**
 * Attachments on the demo (`npm start`'s stack: relay with its upload endpoint, bridge, simulator), in Chromium:
 * an image pasted into the composer while offline is kept on the device (IndexedDB, with its bytes), uploaded
 * and sent after the network returns — exactly once (the upload endpoint's counters and the relay's stored
 * messages say so) — shown as a thumbnail that loads under the relay page's CSP, also after a reload from
 * history, and the simulator's answer says it received the image part.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';

const root = fileURLToPath(new URL('..', import.meta.url));
let demo: StartedProcess;
let browser: Browser;
let url: string;

before(async () => {
  demo = await startProcess(process.execPath, ['demo/start.js'], {
    cwd: root,
    env: { LLC_PORT: '0', LLC_LOG_LEVEL: 'warn', LLC_DEMO_HISTORY: '0' },
    ready: /^(http:\/\/localhost:\d+\/)$/,
  });
  url = demo.match[1]!;
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** `llc_relay_uploads_total` by step, for successful requests. */
async function uploadsOk(): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^llc_relay_uploads_total\{step="(\w+)",result="ok"\} (\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

// The page's DOM, through the shadow roots (strings: the test runner's transform would add helpers the page lacks).
const COMPOSER = `document.querySelector('llc-chat').shadowRoot.querySelector('llc-composer').shadowRoot`;
const MESSAGES = `[...document.querySelector('llc-chat').shadowRoot.querySelector('llc-message-list').shadowRoot.querySelectorAll('llc-message')]`;

/** Polls `expression` in the page until it is truthy (page.evaluate with a string: the page's CSP forbids the eval that waitForFunction uses for strings). */
async function until(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) {
      const user = await page.evaluate(
        `JSON.stringify(${MESSAGES}.map((m) => [m.getAttribute('role-name'), m.status, m.attachments, m.shadowRoot?.textContent?.slice(0, 100)]))`,
      );
      throw new Error(
        `timed out waiting for ${expression.slice(0, 200)}; messages ${String(user)}; uploads ${JSON.stringify(await uploadsOk())}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Network emulation is per CDP session: one session turns it on and off. */
async function network(cdp: CDPSession, offline: boolean): Promise<void> {
  await cdp.send('Network.emulateNetworkConditions', {
    offline,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
}

describe('attachments on the demo (real Chromium, real stack)', () => {
  it('an image pasted offline is uploaded and sent once after reconnect, shown as a thumbnail, seen by the model', async () => {
    // The leader-tab connection (no SharedWorker): the page's network emulation then covers its socket too.
    const context = await browser.newContext();
    await context.addInitScript(() => {
      delete (globalThis as { SharedWorker?: unknown }).SharedWorker;
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      // The offline minutes' failed requests are expected; anything else is worth seeing when the test fails.
      if ((m.type() === 'warning' || m.type() === 'error') && !m.text().includes('ERR_INTERNET_DISCONNECTED'))
        console.error(`[page ${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    await page.goto(url);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await page.getByRole('button', { name: 'Attach files' }).waitFor();
    await until(page, `document.querySelector('llc-chat').client.connectionStatus === 'open'`);

    const cdp = await context.newCDPSession(page);
    await network(cdp, true);
    await until(page, `document.querySelector('llc-chat').client.connectionStatus === 'offline'`);
    // A 1×1 PNG pasted into the text box (as a screenshot paste arrives).
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'pixel.png', { type: 'image/png' }));
      ${COMPOSER}.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
    })()`);
    const chip = page.locator('llc-composer [part="attachment"]');
    await chip.waitFor();
    assert.equal(await chip.getAttribute('data-state'), 'queued', 'offline: kept for later');
    assert.match((await chip.textContent()) ?? '', /pixel\.png.*Uploads when back online/s);
    const question = `What is in this picture? ${Date.now()}`;
    await box.fill(question);
    await box.press('Enter');
    assert.equal(await chip.count(), 0, 'the composer is empty after sending');

    // Shown at once (pending, with its local preview), and kept on the device with its bytes.
    await until(
      page,
      `${MESSAGES}.some((m) => m.getAttribute('role-name') === 'user' && m.shadowRoot?.querySelector('.attachment.pending img'))`,
    );
    const stored = await page.evaluate(`(async () => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('llc:ws://' + location.host + '/ws:attachments');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const rows = await new Promise((resolve) => {
        const r = db.transaction('pending').objectStore('pending').getAll();
        r.onsuccess = () => resolve(r.result);
      });
      db.close();
      return rows.map((row) => ({ text: row.frame.text, size: row.items[0].file.size, type: row.items[0].file.type }));
    })()`);
    assert.deepEqual(stored, [{ text: question, size: 70, type: 'image/png' }]);
    assert.deepEqual(await uploadsOk(), {}, 'nothing uploaded while offline');

    await network(cdp, false);
    // The answer streams and names the image part the model received.
    await until(
      page,
      `(() => {
        const answer = ${MESSAGES}.filter((m) => m.getAttribute('role-name') === 'assistant').at(-1);
        return answer?.shadowRoot?.querySelector('article[aria-busy="false"] .content')?.textContent.length > 40;
      })()`,
      60_000,
    );
    const answer = await page.evaluate(
      `${MESSAGES}.filter((m) => m.getAttribute('role-name') === 'assistant').at(-1).shadowRoot.querySelector('.content').textContent`,
    );
    assert.match(String(answer), /^I received 1 image: http:\/\/127\.0\.0\.1:\d+\/uploads\/up_[0-9a-f]{32}\./);

    // Exactly once: one presign, one PUT, one stored user message with the attachment.
    const counts = await uploadsOk();
    assert.equal(counts.presign, 1, 'presigned once');
    assert.equal(counts.put, 1, 'uploaded once');
    const user = await page.evaluate(`localStorage.getItem('llc:dev-user')`);
    const conversationId = await page.evaluate(`document.querySelector('llc-chat').conversationId`);
    const token = (await (
      await fetch(new URL('/auth/dev-token', url), { method: 'POST', body: JSON.stringify({ user }) })
    ).json()) as { token: string };
    const reader = await ProtocolClient.connect(url.replace(/^http/, 'ws') + 'ws', token.token);
    reader.send({ type: 'history', conversationId: String(conversationId) });
    const history = await reader.next('history-page');
    const users = history.messages.filter((m) => m.role === 'user');
    assert.equal(users.length, 1, 'stored once');
    assert.equal(users[0]?.text, question);
    assert.equal(users[0]?.attachments?.length, 1);
    assert.match(users[0]?.attachments?.[0]?.url ?? '', /^\/uploads\/up_/);
    assert.equal(history.messages.filter((m) => m.role === 'assistant').length, 1, 'answered once');
    await reader.close();

    // The thumbnail loads from the relay's origin (the page's CSP allows 'self'), now and after a reload.
    const thumbnailLoaded = `(() => {
      const img = ${MESSAGES}.find((m) => m.getAttribute('role-name') === 'user')?.shadowRoot?.querySelector('img.thumbnail');
      return img && img.complete && img.naturalWidth === 1 && img.getAttribute('src').startsWith('/uploads/') && img.alt === 'pixel.png';
    })()`;
    await until(page, thumbnailLoaded);
    await page.reload();
    await until(page, thumbnailLoaded);
    assert.equal((await uploadsOk()).put, 1, 'a reload uploads nothing again');
    await context.close();
  });
});

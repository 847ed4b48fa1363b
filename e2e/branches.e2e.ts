/**
 * Branches end to end (issue 17, "Done when"): the `llc-relay` command (dev auth, the in-process simulator, the
 * built demo page) and Debian's Chromium clicking Regenerate, Edit and the branch picker. Regenerate twice, then
 * switch between the three answers, also after a reload and in a second tab (one browser profile: its tabs share
 * the connection); edit a question mid-conversation and see the branch, the old one still there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
let relay: StartedProcess;
let browser: Browser;
let url: string;

before(async () => {
  relay = await startProcess(
    process.execPath,
    [
      'packages/stack/bin/llc-relay.js',
      '--dev',
      '--simulate',
      '--sim-profile',
      'fast',
      '--port',
      '0',
      '--static',
      'demo/dist',
    ],
    { cwd: root, env: { LLC_LOG_LEVEL: 'warn' }, ready: /llc-relay listening on (http:\/\/\S+)/, timeoutMs: 60_000 },
  );
  url = relay.match[1]!;
  browser = await chromium.launch(chromiumLaunchOptions);
});

after(async () => {
  await browser?.close();
  await relay?.stop();
});

async function openChat(context: BrowserContext, query: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`${url}/?${query}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  return page;
}

/** The conversation the page shows, as its client holds it: role, text, key (an answer's key is its stream). */
async function shown(
  page: Page,
): Promise<{ id: string; messages: { role: string; text: string; key: string; status: string }[] }> {
  return page.evaluate(() => {
    const chat = document.querySelector('llc-chat') as unknown as {
      conversationId: string;
      client: { snapshot(id: string): { messages: { role: string; text: string; key: string; status: string }[] } };
    };
    const messages = chat.client
      .snapshot(chat.conversationId)
      .messages.map((m) => ({ role: m.role, text: m.text, key: m.key, status: m.status }));
    return { id: chat.conversationId, messages };
  });
}

/** Waits until every answer shown is finished and the picker (if `position`) reads "Version N of M". */
async function settle(page: Page, position?: string): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const chat = document.querySelector('llc-chat') as unknown as {
        conversationId: string;
        client: { snapshot(id: string): { busy: boolean; historyLoaded: boolean; messages: { role: string }[] } };
      };
      const s = chat.client.snapshot(chat.conversationId);
      if (s.busy || !s.historyLoaded || !s.messages.some((m) => m.role === 'assistant')) return false;
      if (expected === null) return true;
      const list = document.querySelector('llc-chat')!.shadowRoot!.querySelector('llc-message-list')!;
      const read = [...list.shadowRoot!.querySelectorAll('llc-message')].map(
        (m) => m.shadowRoot!.querySelector('[part~="branch-position"] .visually-hidden')?.textContent,
      );
      return read.includes(expected);
    },
    position ?? null,
    { timeout: 60_000 },
  );
}

const answerKey = async (page: Page, index = 0) =>
  (await shown(page)).messages.filter((m) => m.role === 'assistant')[index]!.key;

describe('branches', () => {
  it('regenerates twice, then switches between the three answers; the choice holds after a reload and in a second tab', async () => {
    const user = `e2e-br-${Date.now()}`;
    const context = await browser.newContext();
    const page = await openChat(context, `user=${user}`);
    await page.getByRole('textbox', { name: 'Message' }).fill('Name a colour.');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 60_000 });
    await settle(page);
    const keys = [await answerKey(page)];
    for (const version of ['Version 2 of 2', 'Version 3 of 3']) {
      await page.getByRole('button', { name: 'Regenerate' }).click();
      await settle(page, version);
      keys.push(await answerKey(page));
    }
    assert.equal(new Set(keys).size, 3, 'three different answers');
    let s = await shown(page);
    assert.deepEqual(
      s.messages.map((m) => [m.role, m.role === 'user' ? m.text : '']),
      [
        ['user', 'Name a colour.'],
        ['assistant', ''],
      ],
      'one turn shown: the versions are branches, not extra messages',
    );

    // Back through the versions with the picker: each shows its own answer.
    const previous = page.getByRole('button', { name: 'Previous version' });
    await previous.click();
    await settle(page, 'Version 2 of 3');
    assert.equal(await answerKey(page), keys[1]);
    await previous.focus();
    await page.keyboard.press('Enter');
    await settle(page, 'Version 1 of 3');
    assert.equal(await answerKey(page), keys[0]);
    assert.equal(await previous.isDisabled(), true, 'the first version has no previous');
    await page.getByRole('button', { name: 'Next version' }).click();
    await settle(page, 'Version 2 of 3');
    assert.equal(await answerKey(page), keys[1]);

    // After a reload: the same choice, from the relay.
    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await settle(page, 'Version 2 of 3');
    assert.equal(await answerKey(page), keys[1]);

    // A second tab shows it too, and follows a switch made in the first.
    s = await shown(page);
    const other = await openChat(context, `user=${user}&conversation=${s.id}`);
    await settle(other, 'Version 2 of 3');
    assert.equal(await answerKey(other), keys[1]);
    await page.getByRole('button', { name: 'Next version' }).click();
    await settle(page, 'Version 3 of 3');
    await settle(other, 'Version 3 of 3');
    assert.equal(await answerKey(other), keys[2]);
    assert.equal(await answerKey(page), keys[2]);
    await context.close();
  });

  it('edits a question mid-conversation into a branch; the old branch and what followed it stay', async () => {
    const user = `e2e-edit-${Date.now()}`;
    const context = await browser.newContext();
    const page = await openChat(context, `user=${user}`);
    const box = page.getByRole('textbox', { name: 'Message' });
    for (const [i, question] of ['First question.', 'Second question.', 'Third question.'].entries()) {
      await box.fill(question);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Regenerate' }).nth(i).waitFor({ timeout: 60_000 });
      await settle(page);
    }
    const before = await shown(page);
    assert.equal(before.messages.length, 6);

    // Edit the second question (Enter sends). The list is virtualized: find the row by its text, not its place.
    await page
      .locator('llc-message[role-name="user"]', { hasText: 'Second question.' })
      .getByRole('button', { name: 'Edit' })
      .click();
    const editor = page.getByRole('textbox', { name: 'Edit your message' });
    await editor.fill('Second question, edited.');
    await editor.press('Enter');
    await settle(page, 'Version 2 of 2');
    let s = await shown(page);
    assert.deepEqual(
      s.messages.filter((m) => m.role === 'user').map((m) => m.text),
      ['First question.', 'Second question, edited.'],
      'the branch: the turns after the edited question are not on it',
    );
    assert.equal(s.messages.length, 4);
    assert.equal(s.messages[1]!.key, before.messages[1]!.key, 'the first turn is shared');

    // The old branch is all there.
    await page.getByRole('button', { name: 'Previous version' }).click();
    await settle(page, 'Version 1 of 2');
    s = await shown(page);
    assert.deepEqual(
      s.messages.map((m) => m.key),
      before.messages.map((m) => m.key),
    );
    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await settle(page, 'Version 1 of 2');
    assert.deepEqual(
      (await shown(page)).messages.map((m) => m.text),
      before.messages.map((m) => m.text),
    );
    await context.close();
  });
});

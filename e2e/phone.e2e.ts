/**
 * The demo on a phone: Chromium's mobile emulation with playwright-core's Pixel 7 descriptor (412 × 839 CSS px,
 * device scale 2.625, isMobile, hasTouch, so `(pointer: coarse)` matches), a streamed answer, then an on-screen
 * keyboard. Headless Chromium has no keyboard, so its inset is simulated both ways phones make one:
 * - Android with `interactive-widget=resizes-content` (the demo's viewport meta) shrinks the layout viewport:
 *   the page's viewport is made shorter by the keyboard's height;
 * - iOS Safari (and Android's default) shrinks only the visual viewport, so the keyboard covers the bottom of a
 *   page laid out as before: a page scale (CDP Emulation.setPageScaleFactor) shrinks the visual viewport the same
 *   way (CDP's setVisibleSize has no effect in headless Chromium), which is what `<llc-chat>`'s
 *   KeyboardInsetController measures.
 * Screenshots go to test-results/phone/ (their paths are printed as test diagnostics).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, devices, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('..', import.meta.url));
const shots = join(root, 'test-results', 'phone');
const phone = devices['Pixel 7']!;
/** A phone keyboard's height in CSS px (Gboard on a Pixel 7 in portrait: about 40 % of the screen). */
const KEYBOARD = 336;

let demo: StartedProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;

before(async () => {
  mkdirSync(shots, { recursive: true });
  demo = await startProcess(process.execPath, ['demo/start.js'], {
    cwd: root,
    env: { LLC_PORT: '0', LLC_LOG_LEVEL: 'warn', LLC_SIM_PROFILE: 'fast', LLC_DEMO_HISTORY: '0' },
    ready: /^(http:\/\/localhost:\d+\/)$/,
  });
  browser = await chromium.launch(chromiumLaunchOptions);
  context = await browser.newContext({ ...phone });
  page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(demo.match[1]!);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function shoot(t: TestContext, name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
}

interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every visible control on the page, inside shadow roots too, with its box (inline links in prose excepted). */
function controls(): Promise<Box[]> {
  return page.evaluate(() => {
    const found: Box[] = [];
    const selector = 'button, a[href], input, textarea, select, summary, [role="button"], [tabindex="0"]';
    // A loop over a stack, not a nested named function: the test loader's keep-names helper does not exist in the page.
    const roots: (Document | ShadowRoot)[] = [document];
    for (let root = roots.pop(); root; root = roots.pop()) {
      for (const el of root.querySelectorAll<HTMLElement>(selector)) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue; // not rendered (hidden, or display: none)
        // WCAG 2.5.8's inline exception: a link inside a sentence of an answer is sized by the text around it.
        if (el.matches('a') && el.closest('.markdown')) continue;
        // The transcript itself is focusable (tabindex 0) to scroll it by keyboard: a region, not a button.
        if (el.getAttribute('role') === 'log' || el.classList.contains('log')) continue;
        const label = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30);
        found.push({
          what: `${el.tagName.toLowerCase()} "${label}"`,
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
        });
      }
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    }
    return found;
  });
}

/** The composer's box and the visible part of the page (the visual viewport), in layout-viewport px. */
function composerAndViewport() {
  return page.evaluate(() => {
    const chat = document.querySelector('llc-chat') as HTMLElement & { keyboardInset: number };
    const form = chat
      .shadowRoot!.querySelector('llc-composer')!
      .shadowRoot!.querySelector('form')!
      .getBoundingClientRect();
    const vv = window.visualViewport!;
    return {
      top: form.top,
      bottom: form.bottom,
      visibleTop: vv.offsetTop,
      visibleBottom: vv.offsetTop + vv.height,
      inset: chat.keyboardInset,
    };
  });
}

const noHorizontalOverflow = () =>
  page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));

describe('the demo on a phone (Pixel 7 emulation)', () => {
  it('is a touch device with a coarse pointer', async () => {
    assert.equal(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), true);
    assert.equal(await page.evaluate(() => navigator.maxTouchPoints > 0), true);
  });

  it('streams an answer; every control is at least 44 × 44 px, text fields 16 px, no sideways scrolling', async (t) => {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.tap();
    await box.fill('Show me some code with a table please');
    await page.getByRole('button', { name: 'Send' }).tap();
    // A finished answer shows its actions (Copy, Regenerate, …): the transcript's controls are all there.
    await page.getByRole('button', { name: 'Regenerate' }).first().waitFor({ timeout: 60_000 });
    await shoot(t, 'answer');

    const boxes = await controls();
    assert.ok(boxes.length >= 8, `controls found: ${boxes.map((b) => b.what).join(', ')}`);
    const small = boxes.filter((b) => b.width < 44 - 0.5 || b.height < 44 - 0.5);
    assert.deepEqual(small, [], `controls under 44 × 44 px: ${JSON.stringify(small)}`);

    const fonts = await page.evaluate(() => {
      const sizes: { what: string; px: number }[] = [];
      const roots: (Document | ShadowRoot)[] = [document];
      for (let root = roots.pop(); root; root = roots.pop()) {
        // Fields one types into (a hidden file picker, a checkbox or a button input never zooms the page).
        for (const el of root.querySelectorAll<HTMLElement>(
          'input:not([type="file"], [type="checkbox"], [type="radio"], [type="hidden"], [type="button"], [type="submit"]), textarea, select',
        ))
          sizes.push({
            what: el.getAttribute('aria-label') ?? el.tagName,
            px: parseFloat(getComputedStyle(el).fontSize),
          });
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
      }
      return sizes;
    });
    assert.ok(fonts.length >= 1);
    for (const f of fonts) assert.ok(f.px >= 16, `${f.what}: ${f.px} px would zoom the page on focus`);

    const { scrollWidth, clientWidth } = await noHorizontalOverflow();
    assert.ok(scrollWidth <= clientWidth, `page scrolls sideways: ${scrollWidth} > ${clientWidth}`);
  });

  it('keeps the composer above a keyboard that shrinks the layout viewport (Android, resizes-content)', async (t) => {
    await page.getByRole('textbox', { name: 'Message' }).tap();
    await page.setViewportSize({ width: phone.viewport.width, height: phone.viewport.height - KEYBOARD });
    await page.waitForTimeout(200);
    const c = await composerAndViewport();
    await shoot(t, 'keyboard-layout');
    assert.ok(c.top >= c.visibleTop && c.bottom <= c.visibleBottom + 0.5, `composer not visible: ${JSON.stringify(c)}`);
    const { scrollWidth, clientWidth } = await noHorizontalOverflow();
    assert.ok(scrollWidth <= clientWidth, `page scrolls sideways: ${scrollWidth} > ${clientWidth}`);
    await page.setViewportSize(phone.viewport);
  });

  it('keeps the composer above a keyboard that shrinks only the visual viewport (iOS Safari)', async (t) => {
    await page.getByRole('textbox', { name: 'Message' }).tap();
    const cdp = await context.newCDPSession(page);
    // The visible part of the page now ends 839 / 1.6 ≈ 524 px down the layout viewport: the bottom 315 px are
    // hidden, as under a keyboard (the layout viewport, and 100dvh, do not change).
    await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1.6 });
    await page.waitForFunction(
      () => (document.querySelector('llc-chat') as HTMLElement & { keyboardInset: number }).keyboardInset > 0,
    );
    const c = await composerAndViewport();
    await shoot(t, 'keyboard-visual-viewport');
    assert.ok(c.inset >= 300, `inset ${c.inset}`);
    assert.ok(
      c.top >= c.visibleTop && c.bottom <= c.visibleBottom + 1,
      `composer under the keyboard: ${JSON.stringify(c)}`,
    );

    // The keyboard closes: the inset goes back to 0 and the composer to the bottom of the page.
    await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1 });
    await page.waitForFunction(
      () => (document.querySelector('llc-chat') as HTMLElement & { keyboardInset: number }).keyboardInset === 0,
    );
    const closed = await composerAndViewport();
    assert.ok(closed.bottom > c.bottom + 200, `composer back at the bottom: ${JSON.stringify(closed)}`);
    await cdp.detach();
  });
});

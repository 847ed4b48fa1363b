/**
 * The demo as a new user runs it — `node demo/start.js` (what `npm start` runs after building) on a free port,
 * with its embedded stack — and one Debian Chromium (playwright-core) to drive it. The e2e files that test
 * through the demo start it here, each with the environment its scenario needs.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a scenario changes in the demo (demo/README.md lists the variables). */
export interface DemoOptions {
  /** Added to `LLC_PORT=0 LLC_LOG_LEVEL=warn`, e.g. `LLC_SIM_PROFILE`, `LLC_BACKEND_URL`, `LLC_DEMO_HISTORY`. */
  env?: Record<string, string>;
}

/** A running demo and the browser that drives it. */
export interface Demo {
  /** The page's URL, e.g. `http://localhost:41234/`. */
  readonly url: string;
  readonly browser: Browser;
  /**
   * Opens the chat at `url + path` in a new page of `context` (the browser's default context if none), fails the
   * test on any page error, and resolves once the composer shows.
   */
  openChat(path?: string, context?: BrowserContext): Promise<Page>;
  /** Closes the browser and stops the demo. */
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const demo = await startProcess(process.execPath, ['demo/start.js'], {
    cwd: root,
    env: { LLC_PORT: '0', LLC_LOG_LEVEL: 'warn', ...options.env },
    ready: /^(http:\/\/localhost:\d+\/)$/,
  });
  let browser: Browser;
  try {
    browser = await chromium.launch(chromiumLaunchOptions);
  } catch (error) {
    await demo.stop();
    throw error;
  }
  const url = demo.match[1]!;
  return {
    url,
    browser,
    async openChat(path = '', context) {
      const page = await (context ?? browser).newPage();
      page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
      await page.goto(url + path);
      // The demo imports the elements after reading its query (so <llc-chat> upgrades as the right user): the
      // load event does not wait for that import, the composer showing does.
      await page.getByRole('textbox', { name: 'Message' }).waitFor();
      return page;
    },
    async close() {
      await browser.close();
      await demo.stop();
    },
  };
}

/**
 * How tests launch a browser: Debian's Chromium (CHROME_PATH or /usr/bin/chromium), never a downloaded one,
 * headless with the flags a container needs. Pass to playwright-core's `chromium.launch()`.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
};

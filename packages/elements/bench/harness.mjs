/**
 * What the browser benchmarks share: numeric command-line options, bundling a page script from the sources,
 * and launching Debian's Chromium (never a downloaded browser).
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** `--name N` from the command line as a number, or `fallback`. */
export function numberArg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

/** Bundles `entry` (relative to bench/) from the TypeScript sources into one ES module, returned as text. */
export async function bundleForPage(entry, { minify = true } = {}) {
  const result = await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    format: 'esm',
    minify,
    write: false,
    conditions: ['llc-source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfig: join(here, '..', 'tsconfig.json'),
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

/** Headless Chromium from CHROME_PATH or /usr/bin/chromium. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/**
 * With `--out DIR` (as `npm run bench` passes), writes `DIR/<name>.json` (the figures, for the report's goals)
 * and `DIR/<name>.md` (a section of the report: title, command, machine, body). Without it, does nothing.
 */
export function writeResult(name, { title, command, json, body }) {
  const at = process.argv.indexOf('--out');
  if (at === -1) return;
  const dir = process.argv[at + 1];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ at: new Date().toISOString(), command, ...json }, null, 2));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`;
  writeFileSync(
    join(dir, `${name}.md`),
    [
      `# ${title} — ${new Date().toISOString()}`,
      '',
      `Command: \`${command}\``,
      `Machine: ${machine}; headless Chromium from ${process.env.CHROME_PATH ?? '/usr/bin/chromium'}.`,
      '',
      body,
      '',
    ].join('\n'),
  );
}

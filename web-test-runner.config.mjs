/**
 * Browser tests (*.browser.test.ts) in Debian's Chromium — never a downloaded browser.
 *
 * TypeScript is compiled by esbuild; workspace packages resolve to their sources through the `llc-source`
 * export condition. A summary reporter writes pass/fail counts for scripts/test.mjs. Tests that need a live
 * relay get one from the `llc-stack` plugin: it starts the embedded stack (relay + bridge + vLLM simulator)
 * once and serves its URL at /__llc/stack.
 */
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { defaultReporter } from '@web/test-runner';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const chromium = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const filter = process.env.LLC_TEST_FILTER ?? '';

/** Maps `./x.js` imports of TypeScript sources to `./x.ts` (NodeNext style imports). */
const tsJsResolver = {
  name: 'ts-js-resolver',
  resolveImport({ source, context }) {
    if (!source.startsWith('.') || !source.endsWith('.js')) return undefined;
    const from = decodeURIComponent(new URL(context.url, 'http://x').pathname);
    const candidate = resolvePath(root, '.' + dirname(from), source.replace(/\.js$/, '.ts'));
    return existsSync(candidate) ? source.replace(/\.js$/, '.ts') : undefined;
  },
};

/**
 * Serves `x.ts` for a request of a missing `x.js` next to it: module workers are created from
 * `new URL('./worker.js', import.meta.url)`, which the import resolver above never sees.
 */
async function tsForMissingJs(ctx, next) {
  if (ctx.path.startsWith('/packages/') && ctx.path.endsWith('.js')) {
    const file = join(root, ctx.path);
    if (!existsSync(file) && existsSync(file.replace(/\.js$/, '.ts'))) ctx.url = ctx.url.replace(/\.js(?=$|\?)/, '.ts');
  }
  return next();
}

/**
 * Writes { passed, failed, skipped, hung } for the summary line of `npm test`. `hung`: the files whose page never
 * reported a test and timed out (testsStartTimeout / testsFinishTimeout) — scripts/test.mjs runs those once more.
 */
function summaryReporter() {
  return {
    onTestRunFinished({ sessions }) {
      const counts = { passed: 0, failed: 0, skipped: 0, hung: [] };
      const reported = (suite) =>
        (suite?.tests?.length ?? 0) > 0 || (suite?.suites ?? []).some((child) => reported(child));
      const walk = (suite) => {
        for (const t of suite.tests ?? []) {
          if (t.skipped) counts.skipped++;
          else if (t.passed) counts.passed++;
          else counts.failed++;
        }
        for (const s of suite.suites ?? []) walk(s);
      };
      for (const session of sessions) {
        if (session.testResults) walk(session.testResults);
        if (!session.passed && (session.errors?.length ?? 0) > 0) counts.failed++;
        const timedOut = (session.errors ?? []).some((e) =>
          /^Browser tests did not (start|finish) within/.test(e.message),
        );
        if (timedOut && !reported(session.testResults)) counts.hung.push(relative(root, session.testFile));
      }
      if (process.env.LLC_WTR_SUMMARY) writeFileSync(process.env.LLC_WTR_SUMMARY, JSON.stringify(counts));
    },
  };
}

/** Browser test files under packages/NAME/test whose path (from the root) contains `filter`. */
function browserTestsMatching(filter) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.browser.test.ts') && relative(root, path).includes(filter))
        found.push(relative(root, path));
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const tests = join(root, 'packages', pkg, 'test');
    if (existsSync(tests)) walk(tests);
  }
  // An empty list would make the runner fail with "no test files"; a pattern that matches nothing says the same.
  return found.length ? found : [`packages/*/test/**/*${filter}*.browser.test.ts`];
}

let stackPromise;
/** Starts the embedded stack on first request (only tests that need it pay for it). */
function stackPlugin() {
  return {
    name: 'llc-stack',
    async serve(context) {
      if (context.path !== '/__llc/stack') return undefined;
      stackPromise ??= (async () => {
        const { startTestStack } = await import('./test-support/dist/stack.js');
        return startTestStack();
      })();
      const stack = await stackPromise;
      return { body: JSON.stringify({ wsUrl: stack.wsUrl, httpUrl: stack.httpUrl }), type: 'json' };
    },
    async serverStop() {
      if (stackPromise) await (await stackPromise).close();
    },
  };
}

export default {
  rootDir: root,
  files: [`packages/*/test/**/*.browser.test.ts`].map((g) => g),
  filterBrowserLogs: ({ type, args }) =>
    (type === 'error' || type === 'warn') && !String(args?.[0] ?? '').includes('Lit is in dev mode'),
  nodeResolve: { exportConditions: ['llc-source', 'browser', 'development'] },
  concurrency: 1,
  // Opening a page took more than the default 30 s once on a loaded CI machine (2026-12-03: actions.browser.test.ts
  // failed before running a test); a slow start is not a test failure, so allow two minutes.
  browserStartTimeout: 120_000,
  testFramework: { config: { timeout: 20000 } },
  // LLC_WTR_FINISH_TIMEOUT_MS: only to check the rerun of a hung file (scripts/test.mjs) without waiting 10 min.
  testsFinishTimeout: Number(process.env.LLC_WTR_FINISH_TIMEOUT_MS ?? 10 * 60 * 1000),
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: chromium,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      },
    }),
  ],
  middleware: [tsForMissingJs],
  plugins: [
    tsJsResolver,
    stackPlugin(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: resolvePath(root, 'packages/elements/tsconfig.json') }),
  ],
  reporters: [defaultReporter(), summaryReporter()],
  // Same meaning as for the node tests: a substring of the file's path (e.g. `packages/client` or `outbox`).
  ...(filter ? { files: browserTestsMatching(filter) } : {}),
};

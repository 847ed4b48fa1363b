/**
 * The harness of e2e/examples.e2e.ts: install an example app from the packed tarballs, type-check and build it,
 * serve it (or just run) the `llc-relay` bin of the installed stack package (`--dev --simulate`), and chat with
 * it in Chromium. One `ExamplesHarness` per test file: it owns the browser, the relays and a scratch folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { packedWorkspaces, type PackedWorkspaces } from '@locallightchat/test-support/packed';

const execFileAsync = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What the example apps' installs, builds and servers run with: no browser downloads, no telemetry or analytics
 * prompts, and the repository's `tsc` on the PATH for apps whose own TypeScript the harness leaves out.
 */
export const exampleEnv: Record<string, string | undefined> = {
  ...process.env,
  PATH: `${join(repoRoot, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  NEXT_TELEMETRY_DISABLED: '1',
  NG_CLI_ANALYTICS: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** Runs `command` in `cwd` with exampleEnv; rejects with its output when it fails. */
export async function run(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, { cwd, env: exampleEnv, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

export interface ChatResult {
  /** The answer's text once it finished. */
  text: string;
  /** How many different lengths it was seen at while it was still streaming (aria-busy="true"). */
  partials: number;
  /** The client's connection mode (`shared-worker`, …). */
  mode: string;
  /** The page's console errors and warnings, as `type: text`. */
  console: string[];
}

/** A type error, as `file:line: message` (tsc, vue-tsc and svelte-check's machine output alike). */
export type TypeErrorLine = string;

export class ExamplesHarness {
  readonly scratch = mkdtempSync(join(tmpdir(), 'llc-examples-'));
  packed!: PackedWorkspaces;
  private browser!: Browser;
  private readonly processes: StartedProcess[] = [];

  async start(): Promise<void> {
    this.packed = await packedWorkspaces();
    this.browser = await chromium.launch(chromiumLaunchOptions);
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    for (const p of this.processes) await p.stop();
    if (this.packed?.owned) rmSync(this.packed.dir, { recursive: true, force: true });
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** The installed elements package's CDN folder (the bundle and its two workers). */
  bundleDir(): string {
    return join(this.packed.project, 'node_modules/@locallightchat/elements/dist-bundle');
  }

  /** `llc-relay --dev --simulate` from the installed tarball, serving `site` if given; returns its URL. */
  async relay(site?: string): Promise<string> {
    const relay = await this.startProcess(
      join(this.packed.project, 'node_modules/.bin/llc-relay'),
      ['--dev', '--simulate', '--port', '0', '--processes', '1', ...(site ? ['--static', site] : [])],
      this.packed.project,
      /llc-relay listening on (http:\/\/\S+)/,
      { LLC_LOG_LEVEL: 'warn' },
    );
    return relay.match[1]!.replace(/\/$/, '');
  }

  /** Starts a process that lives until the harness stops; resolves once a line matches `ready`. */
  async startProcess(
    command: string,
    args: string[],
    cwd: string,
    ready: RegExp,
    env: Record<string, string> = {},
  ): Promise<StartedProcess> {
    const started = await startProcess(command, args, {
      cwd,
      ready,
      env: { ...exampleEnv, ...env },
      timeoutMs: 120_000,
    });
    this.processes.push(started);
    return started;
  }

  /**
   * Copies examples/`name` to the scratch folder and installs it as its README says (`npm install`, framework
   * dependencies from the registry through npm's cache), except that `@locallightchat/*` come from the packed
   * tarballs (direct and transitive: overrides), the relay comes from the shared packed project instead of the
   * app's own `@locallightchat/stack` dev dependency, and apps type-checked with plain `tsc` use the repository's
   * (both to keep the install small). Apps whose checker or compiler loads TypeScript itself (vue-tsc,
   * svelte-check, Angular, Next) keep their own.
   */
  async install(name: string): Promise<string> {
    const app = join(this.scratch, name);
    cpSync(join(repoRoot, 'examples', name), app, {
      recursive: true,
      filter: (source) => !/node_modules|[/\\](dist|\.next|\.angular)$/.test(source),
    });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      overrides?: Record<string, string>;
    };
    delete manifest.devDependencies['@locallightchat/stack'];
    if (manifest.scripts.typecheck?.startsWith('tsc ') && !('next' in manifest.dependencies))
      delete manifest.devDependencies['typescript'];
    const overrides: Record<string, string> = {};
    for (const pkg of this.packed.packages) {
      if (pkg.name in manifest.dependencies) manifest.dependencies[pkg.name] = `file:${pkg.tarball}`;
      else overrides[pkg.name] = `file:${pkg.tarball}`;
    }
    manifest.overrides = overrides;
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    return app;
  }

  /** `npm run typecheck` of the app: its type errors, as `file:line: message` (empty when it type-checks). */
  async typeErrors(app: string): Promise<TypeErrorLine[]> {
    const output = await execFileAsync('npm', ['run', '--silent', 'typecheck'], {
      cwd: app,
      env: exampleEnv,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (r) => r.stdout + r.stderr,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    return parseTypeErrors(output);
  }

  /**
   * Type-checks the generated typings `@locallightchat/elements/<entry>` themselves (skipLibCheck off, with the
   * app's framework installed): errors in the declarations of our packages, third-party ones left out.
   */
  async declarationErrors(app: string, entry: string): Promise<TypeErrorLine[]> {
    const dir = join(app, 'declarations-check');
    cpSync(join(app, 'tsconfig.json'), join(dir, 'tsconfig.base.json'));
    writeFileSync(join(dir, 'check.ts'), `import type {} from '@locallightchat/elements/${entry}';\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: './tsconfig.base.json',
        compilerOptions: { skipLibCheck: false, noEmit: true },
        include: ['check.ts'],
      }),
    );
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    const output = await execFileAsync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir }).then(
      (r) => r.stdout,
      (error: { stdout: string }) => error.stdout,
    );
    rmSync(dir, { recursive: true, force: true });
    return parseTypeErrors(output).filter((line) => !/node_modules[/\\](?!@locallightchat[/\\])/.test(line));
  }

  /** Opens `url`, types `question` into `<llc-chat>` and waits for the answer to finish streaming. */
  async chat(url: string, question: string, check?: (page: Page) => Promise<void>): Promise<ChatResult> {
    const page = await this.browser.newPage();
    const errors: string[] = [];
    const consoleLines: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() !== 'error' && message.type() !== 'warning') return;
      // The browser's own favicon request is let off here as below (its 404 is logged as a console error).
      const source = message.location().url;
      if (message.text().startsWith('Failed to load resource') && source && new URL(source).pathname === '/favicon.ico')
        return;
      consoleLines.push(`${message.type()}: ${message.text()}`);
    });
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      // Every file the page asks for is there (the browser's own favicon request aside).
      if (response.status() >= 400 && path !== '/favicon.ico') errors.push(`${response.status()} ${path}`);
    });
    await page.goto(url);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(question).catch((error: Error) => {
      throw new Error(`${error.message}\npage errors: ${errors.join('\n') || 'none'}`);
    });
    await box.press('Enter');
    const answer = page.locator('llc-message[role-name="assistant"]').first();
    await answer.waitFor({ timeout: 60_000 });
    const lengths = new Set<number>();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = await answer.evaluate((el) => ({
        busy: el.shadowRoot?.querySelector('article')?.getAttribute('aria-busy') === 'true',
        length: (el.shadowRoot?.querySelector('.content')?.textContent ?? '').length,
      }));
      if (state.busy && state.length > 0) lengths.add(state.length);
      if (!state.busy && state.length > 0) break;
      assert.ok(Date.now() < deadline, 'the answer did not finish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const text = await answer.evaluate((el) => el.shadowRoot!.querySelector('.content')!.textContent ?? '');
    const mode = await page.evaluate(
      () =>
        (document.querySelector('llc-chat') as unknown as { client?: { stats: { mode: string } } }).client?.stats
          .mode ?? 'none',
    );
    await check?.(page);
    await page.close();
    assert.deepEqual(errors, [], 'no page errors, no missing files');
    return { text, partials: lengths.size, mode, console: consoleLines };
  }
}

/** Error lines of tsc / vue-tsc (`file(line,col): error TS…`) and svelte-check (`--output machine`). */
export function parseTypeErrors(output: string): TypeErrorLine[] {
  const errors: TypeErrorLine[] = [];
  // eslint-disable-next-line no-control-regex -- the colours of a checker that always prints them (ngc)
  for (const line of output.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    const tsc = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line.trim());
    if (tsc) errors.push(`${tsc[1]}:${tsc[2]}: ${tsc[3]}`);
    // tsc's --pretty form, which ngc (Angular's tsc) prints: `file:line:col - error TS2345: …` (or NG8002).
    const pretty = /^(.+?):(\d+):\d+ - error ((?:TS|NG)\d+: .*)$/.exec(line.trim());
    if (pretty) errors.push(`${pretty[1]}:${pretty[2]}: ${pretty[3]}`);
    const svelte = /^\d+ ERROR "(.+?)" (\d+):\d+ (.*)$/.exec(line.trim());
    if (svelte) errors.push(`${svelte[1]}:${svelte[2]}: ${svelte[3]}`);
  }
  return errors;
}

/** The lines of `file` that have errors, sorted. */
export function errorLines(errors: TypeErrorLine[], file: string): number[] {
  const lines = errors
    .filter((e) => e.startsWith(`${file}:`))
    .map((e) => Number(e.slice(file.length + 1).split(':')[0]));
  return [...new Set(lines)].sort((a, b) => a - b);
}

export function assertStreamedAnswer(result: ChatResult): void {
  assert.ok(result.text.trim().length > 20, `a real answer, got ${JSON.stringify(result.text)}`);
  assert.ok(result.partials >= 2, `seen streaming at ${result.partials} different lengths`);
  assert.equal(result.mode, 'shared-worker', 'the connection is in the shared worker hosted beside the script');
}

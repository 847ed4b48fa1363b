/**
 * Starts one of our CLIs (or any command) as a child process and waits for a line of its output, e.g. the
 * line that prints the port it picked. Used by multi-process tests (relay nodes, bridges, simulators).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** The regexp match of the awaited line. */
  readonly match: RegExpMatchArray;
  /** Everything printed so far (last 64 KiB), for failure messages. */
  output(): string;
  /** Waits for a later line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (graceful), then wait for exit; returns the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Line to wait for before resolving. */
  ready: RegExp;
  /** How long to wait for `ready` (default READY_TIMEOUT_MS) and, later, for `waitFor` (default 20 s). */
  timeoutMs?: number;
}

/**
 * The default wait for a process's ready line: 120 s. Starting one of our CLIs loads hundreds of modules; at load
 * 25-40 (CI beside other work, the Node 24 pass) relays and simulators printed nothing for 20-30 s.
 */
export const READY_TIMEOUT_MS = 120_000;

export async function startProcess(command: string, args: string[], options: StartOptions): Promise<StartedProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  const onLine = (line: string) => {
    log = (log + line + '\n').slice(-65536);
    if (process.env.LLC_TEST_VERBOSE) process.stderr.write(`[${command}] ${line}\n`);
    for (const w of waiters) {
      const m = line.match(w.pattern);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  // Resolved once the process has exited and its output is read: what it printed last (e.g. "SIGTERM: draining")
  // can reach the pipes after 'exit', and `output()` must hold it ('close' follows once stdout and stderr end).
  // A grandchild that keeps the pipes open delays this by 2 s at most.
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      const grace = setTimeout(() => resolve(code), 2_000);
      child.once('close', () => {
        clearTimeout(grace);
        resolve(code);
      });
    }),
  );

  const waitFor = (pattern: RegExp, timeoutMs = options.timeoutMs ?? 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const waiter = { pattern, resolve };
      waiters.add(waiter);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${pattern} from ${command} ${args.join(' ')}:\n${log}`));
      }, timeoutMs);
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${command} exited (${code}) before printing ${pattern}:\n${log}`));
      });
      const original = waiter.resolve;
      waiter.resolve = (m) => {
        clearTimeout(timer);
        original(m);
      };
    });

  let match: RegExpMatchArray;
  try {
    match = await waitFor(options.ready, options.timeoutMs ?? READY_TIMEOUT_MS);
  } catch (error) {
    // A process that never got ready is stopped here, or it outlives its test and keeps the test file's
    // process (and so the whole run) from exiting: SIGTERM first, so a supervisor stops its children too.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    throw error;
  }
  return {
    child,
    match,
    output: () => log,
    waitFor,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

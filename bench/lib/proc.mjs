// Servers under test as child processes: start one, wait for its ready line, stop it for sure.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const benchPath = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
export const bin = (name) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `command argv` and resolves once its output matches `ready` (stdout or stderr), with the match and the
 * child. Rejects if it exits first or after `timeoutMs`.
 */
export function startProcess(command, argv, ready, { env = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LLC_LOG_LEVEL: 'error', ...env },
    });
    let out = '';
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`${command} not ready after ${timeoutMs} ms: ${out.slice(-800)}`)),
      timeoutMs,
    );
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const check = () => {
      if (settled) return;
      const m = ready.exec(out);
      if (!m) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        child,
        match: m,
        pid: child.pid,
        stop: () =>
          new Promise((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res();
            child.once('exit', () => res());
            child.kill('SIGKILL');
          }),
      });
    };
    for (const s of [child.stdout, child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (d) => {
        if (out.length < 64_000) out += d;
        check();
      });
    }
    child.once('exit', (code) => fail(new Error(`${command} exited (${code}): ${out.slice(-1000)}`)));
  });
}

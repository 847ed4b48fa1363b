// Processes under test and the bench scripts' own plumbing: command-line options, children watched for their
// output lines, CPU and memory read from /proc, and the relay's bench command line.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const benchPath = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
export const bin = (name) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The HS256 secret every bench server and client shares (never a production value). */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0001';

/** `--name value` options of this script: `option('sockets', 2000)`; `flag('profile')` for bare switches. */
export function cliOptions(argv = process.argv.slice(2)) {
  return {
    option(name, fallback) {
      const i = argv.indexOf(`--${name}`);
      return i === -1 ? fallback : argv[i + 1];
    },
    flag: (name) => argv.includes(`--${name}`),
  };
}

/**
 * Spawns `command argv` and watches its output (stdout and stderr together). `waitFor(re)` resolves with the
 * first match after the previous match, so a script can wait for a child's successive JSON report lines.
 * `logLevel` sets LLC_LOG_LEVEL (default 'error', keeping our servers quiet); `null` leaves the child's own.
 */
export function spawnWatched(command, argv, { env = {}, logLevel = 'error' } = {}) {
  const child = spawn(command, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...(logLevel === null ? {} : { LLC_LOG_LEVEL: logLevel }), ...env },
  });
  let out = '';
  let cursor = 0;
  const listeners = new Set();
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      out += d;
      for (const listener of listeners) listener();
    });
  }
  const waitFor = (re, { timeoutMs = 600_000 } = {}) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(out.slice(cursor));
        if (!m) return;
        listeners.delete(check);
        clearTimeout(timer);
        cursor += m.index + m[0].length;
        resolve(m);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${command} printed no ${re} within ${timeoutMs} ms: ${out.slice(-800)}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const stop = () =>
    new Promise((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGKILL');
    });
  return { child, pid: child.pid, waitFor, output: () => out, stop };
}

/**
 * {@link spawnWatched}, resolved once the output matches `ready` (with `match`); rejects, killing the child, if
 * it exits first or is not ready within `timeoutMs`.
 */
export async function startProcess(command, argv, ready, { env, logLevel, timeoutMs = 120_000 } = {}) {
  const watched = spawnWatched(command, argv, { env, logLevel });
  const exited = new Promise((_, reject) =>
    watched.child.once('exit', (code, signal) => {
      reject(new Error(`${argv[0] ?? command} exited (${code ?? signal}): ${watched.output().slice(-1500)}`));
    }),
  );
  exited.catch(() => undefined); // a later exit (after ready) is the caller's business
  try {
    const match = await Promise.race([watched.waitFor(ready, { timeoutMs }), exited]);
    return { ...watched, match };
  } catch (error) {
    await watched.stop();
    throw error;
  }
}

/** User + system CPU seconds a process has used (Linux /proc; USER_HZ = 100). */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** System (kernel) CPU seconds alone: the share spent in syscalls such as socket writes. */
export function systemSecondsOf(pid) {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[12]) / 100;
}

/** Resident set size of a process in bytes. */
export function rssBytesOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** One line on the machine and its load, for every report (figures here are only comparable within a run). */
export function machineLine() {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  return `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}; load average at the end ${load}.`;
}

/**
 * `llc-relay` as the server benches run it: fed by a bridge-less NATS broker (the bench publishes as a bridge
 * would), HS256 auth with {@link BENCH_SECRET}, any origin, no token budget, heartbeats out of the way, and
 * /metrics readable with the secret. `extra` adds flags not set here (e.g. `--send-hard-limit`).
 */
export function benchRelayArgs({ natsUrl, store = 'memory', processes = 1, extra = [] }) {
  return [
    '--port',
    '0',
    '--processes',
    String(processes),
    '--broker',
    natsUrl,
    '--store',
    store,
    '--bridge',
    'none',
    '--auth-jwt-secret',
    BENCH_SECRET,
    '--allowed-origins',
    '*',
    // Production mode serves /metrics on the client port only with this bearer token.
    '--metrics-token',
    BENCH_SECRET,
    '--token-budget',
    '0',
    '--heartbeat-ms',
    '300000',
    ...extra,
  ];
}

/** The relay's ready line: its WebSocket URL. */
export const RELAY_READY = /WebSocket (ws:\/\/\S+);/;

// The coordinator side of the load generator: forks load processes (bench/lib/load-worker.mjs) of at most
// `perProcess` connections each (a process here holds at most ~19.5k sockets: fd limit 20,000), gives each a
// disjoint range of loopback source addresses, and merges their answers (counts summed, histograms merged).
//
//   const load = await startLoad({ url, kind: 'llc', connections: 20000, secret });
//   await load.all('ramp');            // → { open, failed, seconds }
//   await load.all('subscribe');
//   const s = await load.stats(true);  // merged histograms: s.latency.summary(), s.gap, s.ttft
//   await load.stop();
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.mjs';

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));
const PER_ADDRESS = 500;

/**
 * options: url, kind ('llc'|'socketio'|'floor'|'echo'), connections, perProcess (≤ 15000), secret or devTokenUrl,
 * userPrefix, convPrefix, firstSlot (address slot to start from), jitterMs, deadlineMs, concurrency (per process).
 */
export async function startLoad(options) {
  const perProcess = Math.min(options.perProcess ?? 10_000, 15_000);
  const processes = Math.max(1, Math.ceil(options.connections / perProcess));
  const children = [];
  let slot = options.firstSlot ?? 0;
  for (let p = 0; p < processes; p++) {
    const first = p * perProcess;
    const count = Math.min(perProcess, options.connections - first);
    const { connections: _c, perProcess: _p, ...rest } = options;
    const child = fork(WORKER, [JSON.stringify({ ...rest, count, first, firstSlot: slot, perAddress: PER_ADDRESS })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot += Math.ceil(count / PER_ADDRESS);
    children.push(child);
  }
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve, reject) => {
          c.once('message', resolve);
          c.once('exit', (code) => reject(new Error(`load process exited (${code}) before it was ready`)));
        }),
    ),
  );
  let nextId = 1;
  const ask = (child, op, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const onMessage = (m) => {
        if (m.id !== id) return;
        child.off('message', onMessage);
        if (m.ok) resolve(m);
        else reject(new Error(`load ${op}: ${m.error}`));
      };
      child.on('message', onMessage);
      child.send({ id, op, ...extra });
    });
  const sum = (answers) => {
    const out = {};
    for (const a of answers) {
      for (const [k, v] of Object.entries(a)) {
        if (k === 'id' || k === 'ok') continue;
        if (typeof v === 'number')
          out[k] =
            k === 'seconds'
              ? Math.max(out[k] ?? 0, v)
              : k === 'firstDropAt'
                ? Math.min(out[k] || Infinity, v || Infinity)
                : k === 'lastBackAt' || k === 'lastNextFrameAt' || k === 'lastCaughtUpAt'
                  ? Math.max(out[k] ?? 0, v)
                  : (out[k] ?? 0) + v;
        else if (Array.isArray(v)) out[k] = [...(out[k] ?? []), ...v];
        else if (v && typeof v === 'object' && 'pairs' in v)
          out[k] = (out[k] ?? new Histogram()).merge(Histogram.from(v));
        else if (v && typeof v === 'object') {
          out[k] ??= {};
          for (const [kk, vv] of Object.entries(v)) out[k][kk] = (out[k][kk] ?? 0) + vv;
        } else out[k] = v;
      }
    }
    return out;
  };
  return {
    processes: children.map((c) => c.pid),
    /** Sends `op` to every load process and merges the answers. */
    async all(op, extra) {
      return sum(await Promise.all(children.map((c) => ask(c, op, extra))));
    },
    /** Sends `op` with per-process arguments: `extraFor(index, processes)`. */
    async each(op, extraFor) {
      return sum(await Promise.all(children.map((c, i) => ask(c, op, extraFor(i, children.length)))));
    },
    async stats(reset = false) {
      return this.all('stats', { reset });
    },
    async stop() {
      for (const c of children) {
        if (c.exitCode === null) c.kill('SIGKILL');
      }
    },
  };
}

/** Reads user+system CPU seconds of a process from /proc (Linux). */
export async function cpuSeconds(pid) {
  const { readFileSync } = await import('node:fs');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** Resident set size of a process in bytes (Linux). */
export async function rssBytes(pid) {
  const { readFileSync } = await import('node:fs');
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

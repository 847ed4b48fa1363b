// The storm's clients, behind one interface for run-storm.mjs: `count` connections (distinct HS256 JWT each,
// hello → welcome, or Socket.IO's connect), which reconnect with full jitter when the server drops them.
//
//   ws    bench/idle/load.mjs: the `ws` package (the default, as the storm always ran);
//   lean  bench/lib/load.mjs: the hand-written client of bench/lib/raw-ws.mjs in forked processes, about a third
//         less CPU per reconnect, and it reports why attempts failed and when clients came back.
//
// Neither caps a storm on this machine (2026-12-05: the load processes used 3.4–5.2 of the 14–28 CPU-seconds
// the window offered); the accept queue does (see run-storm.mjs, bench/results/2026-12-05/accept-path.md).
// Both keep 200 connects in flight per process during the ramp; reconnects are not throttled (each socket
// retries on its own jittered timer).
import { fileURLToPath } from 'node:url';
import { startLoad } from '../lib/load.mjs';
import { spawnWatched } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PER_CHILD = 9_000;

/**
 * Starts the clients and ramps them up. Returns { pids, held, poll(), stop() }: `poll()` sums the processes'
 * { dropped, back, firstDropAt, lastBackAt } (epoch ms) and, from the lean generator, `failed` (reconnect
 * attempts that failed, by why) and `backBy` (clients back per half second since the first drop).
 */
export async function startStormLoad({ generator, url, count, secret, jitterMs, protocol = 'llc' }) {
  if (generator === 'lean') {
    const load = await startLoad({
      url,
      kind: protocol,
      connections: count,
      perProcess: PER_CHILD,
      secret,
      jitterMs,
      userPrefix: 'bench-',
      concurrency: 200,
      deadlineMs: 900_000,
    });
    const ramp = await load.all('ramp');
    await load.all('watch');
    return {
      pids: load.processes,
      held: ramp.open,
      poll: async () => {
        const s = await load.all('storm');
        const { dropped, back, firstDropAt, lastBackAt, failed, backBy } = s;
        return { dropped, back, firstDropAt, lastBackAt, failed, backBy };
      },
      stop: () => load.stop(),
    };
  }
  if (generator !== 'ws') throw new Error(`unknown generator ${generator} (lean or ws)`);
  const loaders = [];
  for (let first = 0, slot = 0; first < count; first += PER_CHILD, slot++) {
    const config = {
      url,
      count: Math.min(PER_CHILD, count - first),
      firstAddress: slot * Math.ceil(PER_CHILD / 500),
      firstUser: first,
      secret,
      reconnect: true,
      jitterMs,
      protocol,
    };
    loaders.push(spawnWatched(process.execPath, [here('load.mjs'), JSON.stringify(config)]));
  }
  const ramp = await Promise.all(loaders.map(async (l) => JSON.parse((await l.waitFor(/\{"open".*\}/))[0])));
  return {
    pids: loaders.map((l) => l.pid),
    held: ramp.reduce((n, r) => n + r.open, 0),
    poll: async () => {
      const stats = await Promise.all(
        loaders.map(async (l) => {
          l.child.stdin.write('?\n');
          return JSON.parse((await l.waitFor(/\{"dropped".*\}/))[0]);
        }),
      );
      const drops = stats.filter((s) => s.firstDropAt).map((s) => s.firstDropAt);
      return {
        dropped: stats.reduce((n, s) => n + s.dropped, 0),
        back: stats.reduce((n, s) => n + s.back, 0),
        firstDropAt: drops.length ? Math.min(...drops) : 0,
        lastBackAt: Math.max(...stats.map((s) => s.lastBackAt)),
        backBy: stats.reduce((sum, s) => {
          for (const [k, n] of Object.entries(s.backBy ?? {})) sum[k] = (sum[k] ?? 0) + n;
          return sum;
        }, {}),
      };
    },
    stop: async () => {
      for (const l of loaders) l.child.stdin.end();
    },
  };
}

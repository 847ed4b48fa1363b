#!/usr/bin/env node
// Is the load generator the bottleneck? Opens N connections to the raw uWS floor (echo round trip) with the
// lean client (bench/lib/raw-ws.mjs) and with the `ws` package, in this one process, and prints the client's own
// CPU time per connection for each. Used to justify the lean client; prints one JSON line.
//
//   node bench/lib/client-cost.mjs [--connections 3000]
import WebSocket from 'ws';
import { openRaw } from './raw-ws.mjs';
import { benchPath, startProcess } from './proc.mjs';

const n = Number(process.argv[process.argv.indexOf('--connections') + 1] || 3000);
const server = await startProcess(process.execPath, [benchPath('peers/uws-raw.mjs')], /ready (ws:\/\/\S+)/);
const url = new URL(server.match[1]);
const address = (i) => `127.0.${Math.floor(i / 500 / 250) + 2}.${(Math.floor(i / 500) % 250) + 1}`;
const probe = new Uint8Array(160).fill(42);

async function measure(open) {
  const sockets = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => open(i + k)))));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  for (const s of sockets) s.close();
  return { usPerConnection: (cpu.user + cpu.system) / n, connectionsPerSecond: n / seconds };
}

const raw = await measure(
  (i) =>
    new Promise((resolve, reject) => {
      let s;
      openRaw({
        host: url.hostname,
        port: Number(url.port),
        localAddress: address(i),
        onMessage: () => resolve(s),
      }).then((ws) => {
        s = ws;
        ws.send(probe);
      }, reject);
    }),
);
const wsLib = await measure(
  (i) =>
    new Promise((resolve, reject) => {
      const s = new WebSocket(url, { localAddress: address(n + i), perMessageDeflate: false });
      s.once('open', () => s.send(probe));
      s.once('message', () => resolve(s));
      s.once('error', reject);
    }),
);
await server.stop();
process.stdout.write(
  `${JSON.stringify({ connections: n, raw, ws: wsLib, ratio: wsLib.usPerConnection / raw.usPerConnection })}\n`,
);
process.exit(0);

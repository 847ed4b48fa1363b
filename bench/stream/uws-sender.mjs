// The physical floor of sending: a raw uWebSockets.js server that, on `go <rounds>` (stdin), writes one
// pre-encoded token-sized frame per round to every socket, a round per event-loop turn, corked per socket.
// The build the relay chose (the newest that loads natively here), so floor and relay run on the same uWS.
import { uWS } from '@locallightchat/relay/internal';

const sockets = new Set();
const frame = new Uint8Array(72).fill(7);
const app = uWS.App().ws('/*', {
  idleTimeout: 0,
  maxBackpressure: 64 * 1024 * 1024,
  open: (ws) => sockets.add(ws),
  close: (ws) => sockets.delete(ws),
});
app.listen('127.0.0.1', 0, (s) => console.log(`ready ws://127.0.0.1:${uWS.us_socket_local_port(s)}/`));

process.stdin.setEncoding('utf8');
process.stdin.on('data', (line) => {
  const rounds = Number(/go (\d+)/.exec(line)?.[1] ?? 0);
  let r = 0;
  const round = () => {
    for (const ws of sockets) ws.cork(() => ws.send(frame, true));
    if (++r < rounds) setImmediate(round);
    else console.log('sent');
  };
  if (rounds) round();
});

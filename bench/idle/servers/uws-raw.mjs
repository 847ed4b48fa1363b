// The physical floor: raw uWebSockets.js holding WebSocket connections, nothing else.
// The build the relay chose (the newest that loads natively here), so floor and relay run on the same uWS.
import { uWS } from '@locallightchat/relay/internal';

const app = uWS
  .App()
  .ws('/*', { idleTimeout: 0, maxPayloadLength: 16 * 1024, message: (ws, msg, binary) => ws.send(msg, binary) });
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) throw new Error('uWS could not listen');
  console.log(`ready ws://127.0.0.1:${uWS.us_socket_local_port(socket)}/`);
});

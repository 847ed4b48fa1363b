// The common Node choice: the `ws` package holding WebSocket connections (no compression, as its docs advise
// for many connections).
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
wss.on('listening', () => console.log(`ready ws://127.0.0.1:${wss.address().port}/`));

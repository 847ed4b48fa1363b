import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** Offered subprotocol; the relay echoes it. */
const SUBPROTOCOL = 'llc.v1';

/** Binary WebSocket transport (browser WebSocket, or any WHATWG-compatible implementation). */
export const webSocketTransport: TransportFactory = (url: string, handlers: TransportHandlers): Transport => {
  const ws = new WebSocket(url, [SUBPROTOCOL]);
  ws.binaryType = 'arraybuffer';
  let closed = false;
  const closeOnce = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (event: MessageEvent) => {
    if (event.data instanceof ArrayBuffer) handlers.onFrame(new Uint8Array(event.data));
  };
  ws.onclose = (event: CloseEvent) => closeOnce(event.code, event.reason);
  ws.onerror = () => {
    // An error is always followed by close in browsers, but not in every implementation: close defensively.
    if (ws.readyState === WebSocket.CLOSED) closeOnce(1006, 'error');
  };
  return {
    kind: 'websocket',
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      // Frames from the codec are views over plain ArrayBuffers; the cast only narrows ArrayBufferLike.
      if (ws.readyState === WebSocket.OPEN) ws.send(frame as Uint8Array<ArrayBuffer>);
    },
    close(code = 1000, reason = '') {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      closeOnce(code, reason);
    },
  };
};

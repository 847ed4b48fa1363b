/**
 * Picks the transport factory for a choice of transport. `auto` starts with WebSocket and switches to SSE after
 * WebSocket attempts fail without ever opening (a proxy or firewall that blocks upgrades), and back again if SSE
 * fails the same way — a network that changes is tried both ways rather than stuck on one.
 */
import { sseTransport } from './sse.js';
import type { TransportChoice, TransportFactory } from './transport.js';
import { webSocketTransport } from './websocket.js';

/** Attempts of one kind that never opened before `auto` tries the other. */
const FAILURES_BEFORE_SWITCH = 2;

export function transportFor(choice: TransportChoice = 'auto'): TransportFactory {
  switch (choice) {
    case 'websocket':
      return webSocketTransport;
    case 'sse':
      return sseTransport;
    case 'auto':
      return autoTransport();
  }
}

function autoTransport(): TransportFactory {
  let current: TransportFactory = webSocketTransport;
  let failures = 0;
  return (url, handlers) => {
    let opened = false;
    const factory = current;
    return factory(url, {
      onOpen() {
        opened = true;
        failures = 0;
        handlers.onOpen();
      },
      onFrame: (data) => handlers.onFrame(data),
      onClose(code, reason) {
        if (!opened && ++failures >= FAILURES_BEFORE_SWITCH && current === factory) {
          current = factory === webSocketTransport ? sseTransport : webSocketTransport;
          failures = 0;
        }
        handlers.onClose(code, reason);
      },
    });
  };
}

/**
 * Picks the transport factory for a choice of transport.
 */
import type { TransportChoice } from '../links/link.js';
import type { TransportFactory } from './transport.js';
import { webSocketTransport } from './websocket.js';

export function transportFor(choice: TransportChoice): TransportFactory {
  switch (choice) {
    case 'auto':
    case 'websocket':
    case 'sse':
      return webSocketTransport;
  }
}

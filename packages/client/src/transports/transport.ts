/**
 * A transport carries encoded frames between a client session and a relay. WebSocket is the default; an
 * SSE-down/POST-up transport serves networks that block WebSockets. Sessions never know which one runs.
 */
/** The transports there are. */
export type TransportKind = 'websocket' | 'sse';

/** Which transport a connection uses: one of them, or `auto` (WebSocket, falling back to SSE when it fails). */
export type TransportChoice = 'auto' | TransportKind;

export interface TransportHandlers {
  onOpen(): void;
  onFrame(data: Uint8Array): void;
  /** Closed by either side or failed; `code` is the WebSocket close code when there was one. */
  onClose(code: number, reason: string): void;
}

export interface Transport {
  /** Which kind of transport this is (reported in the `open` status and in `client.stats`). */
  readonly kind?: TransportKind;
  /** Bytes accepted but not yet written (WebSocket bufferedAmount). */
  readonly bufferedAmount: number;
  send(frame: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type TransportFactory = (url: string, handlers: TransportHandlers) => Transport;

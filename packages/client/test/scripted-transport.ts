/**
 * A transport for node tests that speaks the real codec with a script instead of a relay: the test serves
 * server frames and reads the client frames the session sent, decoded.
 */
import assert from 'node:assert/strict';
import {
  PROTOCOL_VERSION,
  decodeClientFrame,
  encodeFrame,
  type ClientFrame,
  type ServerFrame,
} from '@locallightchat/protocol';
import type { TransportFactory, TransportHandlers } from '@locallightchat/client';

/** One connection made through the scripted transport. */
export class ScriptedLink {
  handlers!: TransportHandlers;
  readonly sent: ClientFrame[] = [];
  closedBy?: { code: number; reason: string };
  constructor(readonly url: string) {}
  serve(frame: ServerFrame): void {
    this.handlers.onFrame(encodeFrame(frame));
  }
  welcome(heartbeatMs = 1000): void {
    this.serve({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      sessionId: 'sess_1',
      userId: 'u1',
      heartbeatMs,
      maxFrameBytes: 65536,
      maxTextChars: 1000,
    });
  }
  types(): string[] {
    return this.sent.map((f) => f.type);
  }
}

/** A transport factory and every connection it made, newest last. */
export function scriptedTransport(): { transport: TransportFactory; links: ScriptedLink[]; last: () => ScriptedLink } {
  const links: ScriptedLink[] = [];
  const transport: TransportFactory = (url, handlers) => {
    const link = new ScriptedLink(url);
    link.handlers = handlers;
    links.push(link);
    return {
      bufferedAmount: 0,
      send(bytes) {
        const r = decodeClientFrame(bytes);
        assert.ok(r.ok, 'the session only sends valid frames');
        link.sent.push(r.frame);
      },
      close(code = 1000, reason = '') {
        link.closedBy = { code, reason };
      },
    };
  };
  return { transport, links, last: () => links[links.length - 1]! };
}

/** Lets pending promise callbacks (token providers, storage) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/**
 * Waits for the client's first connection: the direct link's code is imported on demand (links/in-page.ts), so
 * the transport is called a few macrotasks after the client is made. setImmediate, which mocked setTimeouts leave
 * alone.
 */
export async function firstConnection(links: readonly unknown[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (links.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  await settle();
}

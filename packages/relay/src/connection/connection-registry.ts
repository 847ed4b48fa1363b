/**
 * The open connections of one relay, whatever their transport: the one accept path (both transports open their
 * connections here, so counting and deadlines cannot differ between them), the sweep that enforces every
 * connection's deadlines, and the relay-wide notices and closes of a drain or shutdown.
 */
import type { ServerFrame } from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import { connectionCapacity, reopenBelow } from './capacity.js';
import { Connection, type ConnectionOwner, type SocketHandle } from './connection.js';

/** How often every connection's deadlines are checked: one sweep instead of timers per socket. */
const DEADLINE_SWEEP_MS = 250;

/** One per relay (see the module comment). */
export class ConnectionRegistry implements ConnectionOwner {
  private readonly open = new Set<Connection>();
  private readonly sweep: ReturnType<typeof setInterval>;
  /** Connections this process takes before refusing new ones (see capacity.ts). */
  readonly capacity: number;
  /** Once full, the count the process must fall to before it is said to have room again (see capacity.ts). */
  readonly reopenAt: number;
  /**
   * Told when the process becomes full and when, having been full, it is down to {@link reopenAt} (the relay
   * stops and resumes listening on a shared port on this; see `RelayConfig.sharedPort`).
   */
  onCapacity?: (full: boolean) => void;
  private atCapacity = false;

  constructor(private readonly ctx: RelayContext) {
    this.capacity = connectionCapacity(ctx.config.maxConnections);
    this.reopenAt = reopenBelow(this.capacity);
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const conn of this.open) conn.checkDeadlines(now);
    }, DEADLINE_SWEEP_MS);
    this.sweep.unref();
  }

  /** Open connections. */
  get size(): number {
    return this.open.size;
  }

  /** Whether new connections must be refused: this process holds {@link capacity} already. */
  get full(): boolean {
    return this.open.size >= this.capacity;
  }

  /**
   * Opens a connection on a transport's socket (its `address` already admitted); `principal` when the transport verified a token before opening
   * (the client still sends `hello`, within the handshake timeout that starts now).
   */
  accept(socket: SocketHandle, address: string, principal?: Principal): Connection {
    const conn = new Connection(socket, this.ctx, this, address, principal);
    this.open.add(conn);
    this.ctx.metrics.connections.inc();
    this.ctx.metrics.connectionsTotal.inc();
    if (!this.atCapacity && this.open.size >= this.capacity) this.capacityChanged(true);
    return conn;
  }

  /** ConnectionOwner: called by a connection once it closed. */
  released(conn: Connection): void {
    if (!this.open.delete(conn)) return;
    this.ctx.metrics.connections.dec();
    if (this.atCapacity && this.open.size <= this.reopenAt) this.capacityChanged(false);
  }

  private capacityChanged(full: boolean): void {
    this.atCapacity = full;
    this.onCapacity?.(full);
  }

  /** Sends a notice to every connection (a new frame each, e.g. for a per-connection reconnect hint). */
  notifyAll(frame: () => ServerFrame): void {
    for (const conn of this.open) conn.send(frame());
  }

  /** Closes every connection; with `flush`, what each has queued is written first. */
  closeAll(code: number, reason: string, { flush = false }: { flush?: boolean } = {}): void {
    for (const conn of [...this.open]) {
      if (flush) conn.flushNow();
      conn.close(code, reason);
    }
  }

  /** Stops the deadline sweep (the relay is shutting down). */
  stop(): void {
    clearInterval(this.sweep);
  }
}

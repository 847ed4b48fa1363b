/**
 * The relay's listening socket: opened at start, closed for good on drain or shutdown, and — on a port shared
 * with other relay processes (`RelayConfig.sharedPort`) — paused while this process is full.
 *
 * Why pause: with `SO_REUSEPORT` the kernel hashes each new connection to one of the port's listeners, blind to
 * how full each process is. In the reconnect storm (a process of two SIGKILLed, its ~10,000 clients back at
 * once) the survivor filled up within the first second and then answered 503 to half of every retry, so the last
 * clients bounced off it, doubling their backoff each time, for up to 26 s (bench/results/2026-12-05-evening:
 * 10,109 back in 25.7 s, 9,700 of them within 5 s). A closed listener leaves the port group, so every retry
 * goes to a process with room. When every process on the port is full the port refuses at TCP (a balancer in
 * front tries its next upstream, as deploy/nginx does on `error`); clients retry as after a 503.
 */
import { uWS, type TemplatedApp, type us_listen_socket } from './uws.js';

/** After a failed attempt to listen again (see {@link PortListener.resume}), how long until the next one. */
const RELISTEN_RETRY_MS = 1000;

/** The relay could not bind its port (in use, or the address is not local); from {@link PortListener.open}. */
export class RelayListenError extends Error {
  override readonly name = 'RelayListenError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`cannot listen on ${host}:${port}`);
  }
}

/** One relay's listening socket (see the module comment). */
export class PortListener {
  private socket: us_listen_socket | undefined;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** Failed tries to listen again since the last success. */
  private failures = 0;

  private constructor(
    private readonly app: TemplatedApp,
    private readonly host: string,
    /** The bound port (the one the OS chose for port 0). */
    readonly port: number,
    socket: us_listen_socket,
    private readonly log: (message: string) => void,
  ) {
    this.socket = socket;
  }

  /** Listens on `host:port` (0 = a free port); rejects with {@link RelayListenError}. */
  static open(app: TemplatedApp, host: string, port: number, log: (message: string) => void): Promise<PortListener> {
    return new Promise((resolve, reject) => {
      app.listen(host, port, (socket) =>
        socket
          ? resolve(new PortListener(app, host, uWS.us_socket_local_port(socket), socket, log))
          : reject(new RelayListenError(host, port)),
      );
    });
  }

  /** Stops taking new connections until {@link resume}; connections already accepted are not touched. */
  pause(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    if (!this.socket) return;
    uWS.us_listen_socket_close(this.socket);
    this.socket = undefined;
  }

  /**
   * Listens again on the same port after {@link pause}; nothing after {@link close}. Should the bind fail (another
   * program took the port meanwhile) it tries again every second. The port must have been given, not chosen by
   * the OS: Linux refuses to bind again a port first bound as port 0 while connections accepted on it remain
   * (EADDRINUSE; with a given port the bind succeeds, with or without another process listening — checked on
   * Linux 6.18), which is why `sharedPort` needs one (config.ts). Returns whether the socket listens now (a
   * failure is logged here, once per run of failures).
   */
  resume(): boolean {
    if (this.closed) return false;
    if (this.socket || this.retry) return this.socket !== undefined;
    // uWS calls back synchronously.
    this.app.listen(this.host, this.port, (socket) => {
      if (socket) {
        if (this.failures > 0)
          this.log(`listening on ${this.host}:${this.port} again after ${this.failures} failed tries`);
        this.failures = 0;
        this.socket = socket;
        return;
      }
      if (this.failures++ === 0)
        this.log(`cannot listen on ${this.host}:${this.port} again yet; trying every ${RELISTEN_RETRY_MS} ms`);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.resume();
      }, RELISTEN_RETRY_MS);
      this.retry.unref();
    });
    return this.socket !== undefined;
  }

  /** Closes the socket for good (drain, shutdown). */
  close(): void {
    this.closed = true;
    this.pause();
  }
}

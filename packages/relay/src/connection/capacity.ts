/**
 * How many connections one relay process takes before it refuses new ones (503, retryable), so that it never
 * runs out of file descriptors. At the limit, uSockets' accept() fails with EMFILE while the listening socket
 * stays readable: the process spun at a full core on epoll_wait + accept4 (strace: ~15,000 failed accept4 calls
 * a second) and the clients queued behind it waited out their handshake timeouts — in the reconnect storm, the
 * surviving process reached 20,000 fds, burned 38–43 CPU-s and the storm took 57–83 s instead of a few
 * (bench/results/2026-12-05/accept-path.md). Refused at the upgrade instead, a client retries and the kernel
 * hands it to another process on the port.
 */
import { readFileSync } from 'node:fs';

/**
 * File descriptors kept free below the limit: the relay's own (NATS, Redis, files, logs: ~20–50 at rest) and
 * the sockets uSockets accepts before the upgrade request is read (up to its listen backlog, 512, at once).
 */
export const FD_RESERVE = 768;

/** The soft limit on open files of this process (`Max open files` in /proc/self/limits), or Infinity. */
export function openFileLimit(limits = readLimits()): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits ?? '');
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
}

/**
 * The connections a process takes: `configured`, else the open-file limit less {@link FD_RESERVE} — or less a
 * quarter of a limit under 3,072, so that a shell's common default of 1,024 still takes 768 connections, not 256.
 */
export function connectionCapacity(configured: number | undefined, fileLimit = openFileLimit()): number {
  return configured ?? Math.max(1, fileLimit - Math.min(FD_RESERVE, Math.floor(fileLimit / 4)));
}

/**
 * How many connections a full process must fall to before it takes new ones again, where it stops listening at
 * capacity (`sharedPort`): 2 % below capacity (at least one), so that it does not close and reopen its listening
 * socket at every connection that comes and goes at the edge — each close drops the connections waiting in its
 * accept queue (they reconnect, as after any refusal).
 */
export function reopenBelow(capacity: number): number {
  return capacity - Math.max(1, Math.ceil(capacity / 50));
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

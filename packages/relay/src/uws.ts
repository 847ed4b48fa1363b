/**
 * Loads uWebSockets.js and refuses to run on its fallback.
 *
 * The package we install (an npm repack of uWS.js v20.30.0, see ENVIRONMENT.md) only *warns* when its native
 * binary does not load — another Node major, an unusual libc, or UWS_USE_FALLBACK=1 — and returns a partial
 * `ws`-based shim whose WebSocket upgrade throws "not implemented" at the first connection. A relay that starts
 * and then fails on its first user is worse than one that does not start, so we check at import time.
 */
import uWS from 'uWebSockets.js';

/** Thrown by {@link assertNativeUws} (and so by `startRelay`) when uWS runs on its non-native fallback. */
export class NativeUwsMissingError extends Error {
  override readonly name = 'NativeUwsMissingError';
}

/** Throws {@link NativeUwsMissingError} unless uWS loaded its native binary (call it early to fail at start-up). */
export function assertNativeUws(): void {
  if (!String(uWS.App).includes('[native code]')) {
    throw new NativeUwsMissingError(
      `uWebSockets.js did not load its native binary (Node ${process.version}, ${process.platform}-${process.arch}). ` +
        'The relay needs it: use Node 20 on linux/macOS/windows x64 or arm64 and unset UWS_USE_FALLBACK.',
    );
  }
}

export { uWS };
export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
  us_socket_context_t,
} from 'uWebSockets.js';

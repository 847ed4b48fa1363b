/**
 * Loads the newest uWebSockets.js build whose native binary loads on this host, and never its `ws` fallback.
 *
 * Two builds are installed (see ENVIRONMENT.md): `@btc-vision/uwebsockets.js` 20.57.0 (a registry copy of uWS.js
 * v20.57.0; binaries for Node 20/22/24/25, which need glibc ≥ 2.38) and the older `@trufflesuite` repack of
 * v20.30.0 (Node 16/18/20, loads on glibc 2.36). We try them newest first and keep the first that loads natively.
 * The repack's own entry *warns* and returns a partial `ws`-based shim when its binary does not load (the upgrade
 * then throws "not implemented" at the first user), so we load its binary file directly instead: a relay that
 * starts and fails on its first user is worse than one that refuses to start with a line saying what to use.
 *
 * `LLC_UWS_BUILD=<package>` pins one build (e.g. to compare them, or to keep the repack on Node 20).
 */
import { createRequire } from 'node:module';
import type uWSModule from 'uWebSockets.js';

/** One installable uWebSockets.js build, newest first in {@link UWS_BUILDS}. */
export interface UwsBuild {
  /** The npm package it comes from (the relay installs it under this name). */
  readonly package: string;
  /** The uWS.js release it packages. */
  readonly version: string;
  /** What its binaries need, for the failure line. */
  readonly needs: string;
  /** Loads the native module; throws when the binary does not load here. */
  readonly load: () => unknown;
}

const require = createRequire(import.meta.url);
const nativeFile = () => `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

/** The builds the relay knows, newest first. */
export const UWS_BUILDS: readonly UwsBuild[] = [
  {
    package: '@btc-vision/uwebsockets.js',
    version: '20.57.0',
    needs: 'Node 20/22/24/25 on glibc ≥ 2.38',
    load: (): unknown => require('@btc-vision/uwebsockets.js'),
  },
  {
    package: '@trufflesuite/uws-js-unofficial',
    version: '20.30.0',
    needs: 'Node 16/18/20',
    // The binary, not the package entry: the entry falls back to its ws shim instead of throwing.
    load: (): unknown => require(`uWebSockets.js/binaries/${nativeFile()}`),
  },
];

/** The outcome of {@link chooseUwsBuild}: the build in use and its module, or why none loads. */
export type UwsChoice =
  | { readonly ok: true; readonly build: UwsBuild; readonly module: unknown }
  | { readonly ok: false; readonly message: string };

/** True when `module` is uWS's native addon (its functions are native code, not the JavaScript shim). */
export function isNativeUws(module: unknown): boolean {
  const app = (module as { App?: unknown } | null)?.App;
  return typeof app === 'function' && String(app).includes('[native code]');
}

/**
 * Tries `builds` in order and returns the first that loads natively; with `pinned` (a package name) only that one.
 * Never throws: a failure carries the one line to print.
 */
export function chooseUwsBuild(builds: readonly UwsBuild[], pinned?: string): UwsChoice {
  const tried = pinned ? builds.filter((b) => b.package === pinned) : builds;
  if (tried.length === 0)
    return {
      ok: false,
      message: `LLC_UWS_BUILD="${pinned}" names no known uWebSockets.js build (known: ${builds.map((b) => b.package).join(', ')})`,
    };
  const reasons: string[] = [];
  for (const build of tried) {
    try {
      const module = build.load();
      if (isNativeUws(module)) return { ok: true, build, module };
      reasons.push(`${build.package} ${build.version}: not native code`);
    } catch (error) {
      reasons.push(`${build.package} ${build.version} needs ${build.needs} (${shortReason(error)})`);
    }
  }
  return {
    ok: false,
    message:
      `no native uWebSockets.js build loads on ${hostDescription()}: ${reasons.join('; ')}. ` +
      'Use Node 24 LTS (or 22) on glibc ≥ 2.38 (e.g. Debian 13, see deploy/debian13-rootfs.sh), or Node 20 on older glibc.',
  };
}

/** Node version, platform, ABI and glibc of this process, e.g. "Node v20.20.2 (linux-x64, ABI 115, glibc 2.36)". */
export function hostDescription(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const libc = header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'no glibc';
  return `Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}, ${libc})`;
}

/** The first line of a load error that says why, e.g. "version `GLIBC_2.38' not found". */
function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const glibc = /version `GLIBC_[0-9.]+' not found/.exec(text);
  if (glibc) return glibc[0];
  if (/Cannot find module/.test(text)) return `no binary for ${nativeFile()}`;
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}

const choice = chooseUwsBuild(UWS_BUILDS, process.env.LLC_UWS_BUILD || undefined);

/** Thrown by {@link assertNativeUws} (and so by `startRelay`) when no uWS build loads natively here. */
export class NativeUwsMissingError extends Error {
  override readonly name = 'NativeUwsMissingError';
}

/** Throws {@link NativeUwsMissingError} (one line: what was tried, what to use) unless a native build loaded. */
export function assertNativeUws(): void {
  if (!choice.ok) throw new NativeUwsMissingError(choice.message);
}

/** Which build this process uses, e.g. "uWebSockets.js 20.57.0 from @btc-vision/uwebsockets.js on Node v24…". */
export function uwsBuildDescription(): string {
  return choice.ok
    ? `uWebSockets.js ${choice.build.version} from ${choice.build.package} on ${hostDescription()}`
    : choice.message;
}

let described = false;
/** Logs {@link uwsBuildDescription} the first time it is called in this process (the relay calls it at start). */
export function logUwsBuildOnce(log: { info(message: string): void }): void {
  if (described || !choice.ok) return;
  described = true;
  log.info(uwsBuildDescription());
}

/**
 * The chosen uWS module. When none loads natively, every use throws {@link NativeUwsMissingError}, so the
 * JavaScript shim can never serve a user.
 */
export const uWS: typeof uWSModule = choice.ok
  ? (choice.module as typeof uWSModule)
  : new Proxy({} as typeof uWSModule, {
      get() {
        throw new NativeUwsMissingError(choice.message);
      },
    });

export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
  us_socket_context_t,
} from 'uWebSockets.js';

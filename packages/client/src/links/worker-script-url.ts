/**
 * Worker scripts under Trusted Types. With `require-trusted-types-for 'script'` in a page's CSP,
 * `new Worker(url)` and `new SharedWorker(url)` take only a TrustedScriptURL, so the literal
 * `new Worker(new URL('./x.js', import.meta.url))` form that bundlers rewrite throws. {@link workerScriptUrl}
 * makes a URL trusted through a policy named {@link WORKER_POLICY}, which passes same-origin URLs only (a worker
 * script must be same-origin anyway). A page whose CSP lists allowed policies (`trusted-types …`) must add it.
 */

/** The Trusted Types policy our worker URLs go through. */
export const WORKER_POLICY = 'llc-worker';

interface ScriptUrlPolicy {
  createScriptURL(url: string): unknown;
}
interface TrustedTypesApi {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): ScriptUrlPolicy;
}

let policy: ScriptUrlPolicy | null | undefined;

/**
 * `url` as a TrustedScriptURL where the browser has Trusted Types, else unchanged. Typed `string` because that
 * is what the Worker constructors are declared to take; at run time it is the trusted object.
 */
export function workerScriptUrl(url: string | URL): string | URL {
  const api = (globalThis as { trustedTypes?: TrustedTypesApi }).trustedTypes;
  if (!api) return url;
  if (policy === undefined) {
    try {
      policy = api.createPolicy(WORKER_POLICY, { createScriptURL: sameOriginOnly });
    } catch {
      // The page's `trusted-types` directive does not allow this policy (or it exists twice): use the URL as is,
      // which works wherever Trusted Types are not enforced.
      policy = null;
    }
  }
  return policy ? (policy.createScriptURL(String(url)) as string) : url;
}

function sameOriginOnly(url: string): string {
  const resolved = new URL(url, globalThis.location?.href);
  if (globalThis.location && resolved.origin !== globalThis.location.origin && resolved.protocol !== 'blob:') {
    throw new TypeError(`${WORKER_POLICY}: refusing a cross-origin worker script ${resolved.href}`);
  }
  return resolved.href;
}

let enforcedSeen = false;

/**
 * Whether Trusted Types are known to be enforced here, so worker URLs should be made trusted up front: a
 * constructor already failed for that reason on this page, or the page's `<meta>` CSP requires them. (A policy
 * sent as a header cannot be read from script: the first worker then fails once, which the browser reports as a
 * violation, and is retried with a trusted URL.)
 */
export function trustedTypesEnforced(): boolean {
  if (enforcedSeen || !('trustedTypes' in globalThis) || typeof document === 'undefined') return enforcedSeen;
  for (const meta of document.querySelectorAll<HTMLMetaElement>('meta[http-equiv]')) {
    if (
      meta.httpEquiv.toLowerCase() === 'content-security-policy' &&
      /require-trusted-types-for\s+'script'/.test(meta.content)
    )
      return (enforcedSeen = true);
  }
  return false;
}

/** Whether a Worker/SharedWorker constructor error means "Trusted Types require a TrustedScriptURL here" (remembered). */
export function isTrustedTypesError(error: unknown): boolean {
  const is = error instanceof TypeError && 'trustedTypes' in globalThis && /Trusted/i.test(error.message);
  if (is) enforcedSeen = true;
  return is;
}

/**
 * Creates a worker the way bundlers and Trusted Types both accept: `literal` is the
 * `new Worker(new URL('./x.js', import.meta.url), { … })` form bundlers rewrite; `trusted` builds the same
 * worker from {@link workerScriptUrl}. The trusted form is used where Trusted Types are enforced.
 */
export function constructWorker<T>(literal: () => T, trusted: () => T): T {
  if (trustedTypesEnforced()) return trusted();
  try {
    return literal();
  } catch (error) {
    if (!isTrustedTypesError(error)) throw error;
    return trusted();
  }
}

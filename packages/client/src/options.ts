/**
 * The options idiom of the client: each options type has a `DEFAULT_X` constant beside it and a
 * `resolveX(partial)` that lays what the caller gave over it, once, where the options come in — so a default
 * is written in one place and never again as `?? value` where it is used.
 */

/** `partial` over `defaults`; a field the caller left undefined keeps its default. */
export function withDefaults<D extends object, P extends object>(defaults: D, partial: P): D & P {
  const resolved = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) resolved[key] = value;
  return resolved as D & P;
}

/**
 * The client's name in `hello` (the session's default). Here, not in session.ts, so the client's options can
 * name it without importing the session, which is loaded on demand (links/in-page.ts).
 */
export const DEFAULT_CLIENT_NAME = 'llc-client/0.1';

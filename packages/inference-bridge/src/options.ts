/**
 * The options idiom of this package (the same as the relay's `DEFAULT_CONFIG` + `resolveConfig`): a configurable
 * class declares `DEFAULT_X_OPTIONS`, the values of its optional settings when the caller gives none, and
 * `resolveXOptions(options)`, which lays the caller's options over them and checks the result. A setting passed
 * as `undefined` takes its default, so callers can hand on settings they may not have.
 */

/** `options` over `defaults`, leaving out the settings `options` holds as undefined. */
export function withDefaults<T extends object, D extends Partial<T>>(defaults: D, options: T): T & D {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...defaults, ...given } as T & D;
}

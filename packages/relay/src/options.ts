/**
 * The relay's one idiom for options: every configurable part declares its settings as an interface with every
 * field required, a `DEFAULT_X` constant, and a `resolveX(partial)` that lays the caller's partial over the
 * defaults with {@link withDefaults}. Call sites read resolved options and never write `?? <number>` themselves.
 */

/**
 * `given` over `defaults`, where a key given as `undefined` keeps its default (so `{ port: flags.port }` without
 * the flag means the default port, not "no port").
 */
export function withDefaults<D extends object, G extends Partial<D>>(defaults: D, given: G): Omit<G, keyof D> & D {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return { ...defaults, ...defined } as Omit<G, keyof D> & D;
}

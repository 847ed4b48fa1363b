/**
 * The relay's view of its Store with every call counted by method (`llc_relay_store_calls_total{op}`), so that
 * what a path costs the Store is measured, not guessed: e.g. whether a storm of resumes reads it per client
 * (bench/idle/run-resume-storm.mjs). A Proxy, so a method added to the port is counted without a change here;
 * each method's wrapper is made once.
 */
import type { Counter } from 'prom-client';
import type { Store } from './store.js';

export function countedStore(store: Store, calls: Counter<'op'>): Store {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'constructor') return value;
      let wrapper = wrappers.get(key);
      if (!wrapper) {
        const counter = calls.labels(key);
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => {
          counter.inc();
          return method.apply(target, args);
        };
        wrappers.set(key, wrapper);
      }
      return wrapper;
    },
  });
}

/**
 * A tiny schema language for positional msgpack frames.
 *
 * Every frame travels as an array `[kind, field1, field2, …]`; nested records travel as arrays too. A
 * `WireType<T>` knows how to write a `T` into that shape and how to read it back from *untrusted* input,
 * checking type and size as it goes. The frame table (frames.ts) is written in these types, so encoding,
 * decoding and validation can never drift apart.
 *
 * Reading never trusts the decoded value: records are rebuilt field by field into fresh objects, so nothing
 * from the network (prototype keys, extension objects, extra fields) survives into the typed frame.
 */

/** Thrown while reading a field; caught by the codec and turned into a {@link ProtocolError}. */
export class InvalidField extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}`);
  }
}

export interface WireType<T> {
  /** What the field must be, for error messages. */
  readonly describe: string;
  /** Validates `raw` (from the network) and returns a clean value, or throws {@link InvalidField}. */
  read(raw: unknown, path: string): T;
  /** Turns a trusted value into its wire form. */
  write(value: T): unknown;
  /** True when the field may be absent (`undefined` ↔ msgpack nil / missing trailing element). */
  readonly optional?: boolean;
}

export interface StringRules {
  /** Maximum length in UTF-16 code units. */
  max: number;
  min?: number;
  pattern?: RegExp;
}

export function str(rules: StringRules): WireType<string> {
  const min = rules.min ?? 0;
  const describe = `string(${min}..${rules.max}${rules.pattern ? ` ${rules.pattern.source}` : ''})`;
  return {
    describe,
    read(raw, path) {
      if (typeof raw !== 'string' || raw.length < min || raw.length > rules.max) throw new InvalidField(path, describe);
      if (rules.pattern && !rules.pattern.test(raw)) throw new InvalidField(path, describe);
      return raw;
    },
    write: (v) => v,
  };
}

/** A non-negative safe integer not above `max`. */
export function uint(max = Number.MAX_SAFE_INTEGER): WireType<number> {
  const describe = `integer(0..${max})`;
  return {
    describe,
    read(raw, path) {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0 || raw > max) {
        throw new InvalidField(path, describe);
      }
      return raw;
    },
    write: (v) => v,
  };
}

/** A finite number within [min, max]. */
export function num(min: number, max: number): WireType<number> {
  const describe = `number(${min}..${max})`;
  return {
    describe,
    read(raw, path) {
      if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max)
        throw new InvalidField(path, describe);
      return raw;
    },
    write: (v) => v,
  };
}

export const bool: WireType<boolean> = {
  describe: 'boolean',
  read(raw, path) {
    if (typeof raw !== 'boolean') throw new InvalidField(path, 'boolean');
    return raw;
  },
  write: (v) => v,
};

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): WireType<T> {
  const allowed = new Set<string>(values);
  const describe = `one of ${values.join('|')}`;
  return {
    describe,
    read(raw, path) {
      if (typeof raw !== 'string' || !allowed.has(raw)) throw new InvalidField(path, describe);
      return raw as T;
    },
    write: (v) => v,
  };
}

/**
 * Like {@link oneOf} for an enumeration that grows over versions: a value this side knows reads as itself, any
 * other code-shaped string (lowercase letters, digits and dashes, at most 64) as `unknown` — so a frame from a
 * newer peer is not refused for one new name — and anything else is invalid.
 */
export function oneOfOrUnknown<const T extends string>(values: readonly T[], unknown: T): WireType<T> {
  const known = oneOf(values);
  return {
    describe: `${known.describe} (or another code, read as ${unknown})`,
    read(raw, path) {
      if (typeof raw === 'string' && !values.includes(raw as T) && /^[a-z0-9-]{1,64}$/.test(raw)) return unknown;
      return known.read(raw, path);
    },
    write: (v) => v,
  };
}

/** Makes a field optional: `undefined` is written as nil and nil/absent reads back as `undefined`. */
export function optional<T>(inner: WireType<T>): WireType<T | undefined> {
  return {
    describe: `${inner.describe}?`,
    optional: true,
    read: (raw, path) => (raw === undefined || raw === null ? undefined : inner.read(raw, path)),
    write: (v) => (v === undefined ? null : inner.write(v)),
  };
}

/** Maps each key of a record to the wire type of its value; key order is wire order. */
export type Shape<T> = { [K in keyof T]-?: WireType<T[K]> };

/**
 * A record written as a positional array in the key order of `shape`.
 * New optional fields may only ever be appended at the end (older peers ignore extra elements).
 */
export function record<T extends object>(
  shape: Shape<T>,
  name = 'record',
): WireType<T> & { readonly keys: readonly (keyof T)[] } {
  const keys = Object.keys(shape) as (keyof T)[];
  const types = keys.map((k) => shape[k]);
  const required = types.filter((t) => !t.optional).length;
  return {
    describe: name,
    keys,
    read(raw, path) {
      if (!Array.isArray(raw) || raw.length < required)
        throw new InvalidField(path, `${name} (array of ${required}+ fields)`);
      const out = {} as T;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const value = (types[i] as WireType<unknown>).read(raw[i], `${path}.${String(key)}`);
        if (value !== undefined) (out as Record<keyof T, unknown>)[key] = value;
      }
      return out;
    },
    write(value) {
      const arr: unknown[] = keys.map((k, i) => (types[i] as WireType<unknown>).write(value[k]));
      // Trailing nils carry no information: trim them to keep frames small.
      while (arr.length > required && arr[arr.length - 1] === null) arr.pop();
      return arr;
    },
  };
}

/** An array of at most `max` items of one type. */
export function list<T>(item: WireType<T>, max: number): WireType<T[]> {
  const describe = `list(<=${max} × ${item.describe})`;
  return {
    describe,
    read(raw, path) {
      if (!Array.isArray(raw) || raw.length > max) throw new InvalidField(path, describe);
      return raw.map((v, i) => item.read(v, `${path}[${i}]`));
    },
    write: (v) => v.map((x) => item.write(x)),
  };
}

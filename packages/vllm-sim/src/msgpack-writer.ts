/**
 * A minimal MessagePack encoder that writes what Python's msgspec writes for vLLM's KV events: integers in
 * their smallest form (positive fixint, uint8 … uint64; negative ints likewise), floats always as float64,
 * strings as UTF-8 str, `null` as nil, arrays, and maps with string keys in insertion order (msgspec's
 * field order). msgpackr, the project's general codec, writes integers above 2^32 as float64 and whole floats
 * as integers, which a strict msgspec decoder of `list[int]` / `float` fields refuses — hence this writer.
 */

/** A number that must be written as float64 even when it is whole (e.g. a timestamp). */
export class F64 {
  constructor(readonly value: number) {}
}

export type MsgpackValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | F64
  | Uint8Array
  | readonly MsgpackValue[]
  | { readonly [key: string]: MsgpackValue };

const encoder = new TextEncoder();

/** A growable byte buffer (KV event batches carry every token id of the stored blocks: thousands of ints). */
class Out {
  buf = new Uint8Array(1024);
  n = 0;
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }
  /** `code` then `width` big-endian bytes of an unsigned value < 2^32. */
  u32(code: number, v: number, width: 1 | 2 | 4): void {
    this.room(1 + width);
    this.buf[this.n++] = code;
    for (let i = width - 1; i >= 0; i--) this.buf[this.n++] = (v >>> (8 * i)) & 0xff;
  }
}

export function encodeMsgpack(value: MsgpackValue): Uint8Array {
  const out = new Out();
  write(value, out);
  return out.buf.slice(0, out.n);
}

function write(value: MsgpackValue, out: Out): void {
  if (value === null) out.byte(0xc0);
  else if (value === true) out.byte(0xc3);
  else if (value === false) out.byte(0xc2);
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) writeInt(value, out);
    else writeFloat(value, out);
  } else if (typeof value === 'bigint') writeBigInt(value, out);
  else if (typeof value === 'string') writeString(value, out);
  else if (value instanceof F64) writeFloat(value.value, out);
  else if (value instanceof Uint8Array) {
    header(value.length, 0xc4, out, undefined, true);
    out.room(value.length);
    out.buf.set(value, out.n);
    out.n += value.length;
  } else if (Array.isArray(value)) {
    const list = value as readonly MsgpackValue[];
    header(list.length, 0xdc, out, 0x90);
    for (const item of list) write(item, out);
  } else {
    const entries = Object.entries(value as { readonly [key: string]: MsgpackValue });
    header(entries.length, 0xde, out, 0x80);
    for (const [k, v] of entries) {
      writeString(k, out);
      write(v, out);
    }
  }
}

/**
 * Length header: the fix form (`fix | n`, below 16 for arrays and maps, 32 for strings), else the 16- and
 * 32-bit forms starting at `code16` (array 0xdc, map 0xde); strings and binaries also have an 8-bit form just
 * before (str8 0xd9, bin8 0xc4 — pass `code16` = bin8 with `bin`).
 */
function header(n: number, code16: number, out: Out, fix: number | undefined, bin = false, str = false): void {
  if (fix !== undefined && n < (str ? 32 : 16)) out.byte(fix | n);
  else if (bin) out.u32(n < 0x100 ? 0xc4 : n < 0x10000 ? 0xc5 : 0xc6, n, n < 0x100 ? 1 : n < 0x10000 ? 2 : 4);
  else if (str && n < 0x100) out.u32(0xd9, n, 1);
  else if (n < 0x10000) out.u32(code16, n, 2);
  else out.u32(code16 + 1, n, 4);
}

function writeString(s: string, out: Out): void {
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
  if (ascii) {
    header(s.length, 0xda, out, 0xa0, false, true);
    out.room(s.length);
    for (let i = 0; i < s.length; i++) out.buf[out.n++] = s.charCodeAt(i);
    return;
  }
  const bytes = encoder.encode(s);
  header(bytes.length, 0xda, out, 0xa0, false, true);
  out.room(bytes.length);
  out.buf.set(bytes, out.n);
  out.n += bytes.length;
}

function writeInt(v: number, out: Out): void {
  if (v >= 0) {
    if (v < 0x80) out.byte(v);
    else if (v < 0x100) out.u32(0xcc, v, 1);
    else if (v < 0x10000) out.u32(0xcd, v, 2);
    else if (v < 0x100000000) out.u32(0xce, v, 4);
    else {
      out.room(9);
      out.buf[out.n++] = 0xcf;
      const hi = Math.floor(v / 0x100000000);
      const lo = v >>> 0;
      for (let i = 3; i >= 0; i--) out.buf[out.n++] = (hi >>> (8 * i)) & 0xff;
      for (let i = 3; i >= 0; i--) out.buf[out.n++] = (lo >>> (8 * i)) & 0xff;
    }
  } else if (v >= -32) out.byte(v & 0xff);
  else writeBigInt(BigInt(v), out);
}

function writeBigInt(v: bigint, out: Out): void {
  if (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return writeInt(Number(v), out);
  const code = v >= 0n ? 0xcf : v >= -0x80n ? 0xd0 : v >= -0x8000n ? 0xd1 : v >= -0x80000000n ? 0xd2 : 0xd3;
  const width = code === 0xcf || code === 0xd3 ? 8 : code === 0xd2 ? 4 : code === 0xd1 ? 2 : 1;
  const u = BigInt.asUintN(8 * width, v);
  out.room(1 + width);
  out.buf[out.n++] = code;
  for (let i = width - 1; i >= 0; i--) out.buf[out.n++] = Number((u >> BigInt(8 * i)) & 0xffn);
}

function writeFloat(v: number, out: Out): void {
  out.room(9);
  out.buf[out.n++] = 0xcb;
  new DataView(out.buf.buffer, out.buf.byteOffset + out.n, 8).setFloat64(0, v);
  out.n += 8;
}

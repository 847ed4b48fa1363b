/**
 * A token frame read without decoding its text. A relay forwards the token batches it gets from the broker as
 * the bytes the bridge encoded; all it needs of each is the stream id, `seq` and `firstSeq` (for the seq rule,
 * the resume ring and the send queue). Decoding the whole frame — msgpack into arrays and strings, then the
 * schema's validation into a new object — was a fifth of the relay's CPU per frame and most of its garbage
 * (bench/README.md, "Profiling the relay").
 *
 * {@link readTokenHeader} walks the msgpack bytes of `[24, streamId, seq, text, reasoning?, firstSeq?, …]`,
 * checking the types and bounds of those fields and skipping the strings; anything it does not expect (another
 * kind, an unusual encoding, a string past its limit) gives `undefined`, and the caller falls back to the full,
 * validating decode — so a malformed frame gets the same error as before. {@link TokenFrameView} is a
 * {@link TokenFrame} over those bytes whose text fields are decoded (and validated) on first use.
 */
import { decodeServerFrame } from './codec.js';
import type { TokenFrame } from './frames.js';
import { DEFAULT_SERVER_LIMITS, HARD_LIMITS } from './limits.js';
import { FRAME_KINDS } from './schema.js';

/** The fields of a token frame that routing and the seq rule need. */
export interface TokenHeader {
  streamId: string;
  seq: number;
  /** Absent unless the frame covers several batches (`firstSeq..seq`). */
  firstSeq: number | undefined;
}

const TOKEN_KIND = FRAME_KINDS.token;
const NIL = 0xc0;

/** Where the reader is in the bytes; -1 once something unexpected was found. */
let pos = 0;

/** The unsigned integer at `pos` (msgpack positive fixint, uint8–64, or an integral float64), or -1. */
function readUint(b: Uint8Array): number {
  if (pos >= b.length) return -1;
  const t = b[pos]!;
  if (t <= 0x7f) {
    pos += 1;
    return t;
  }
  switch (t) {
    case 0xcc:
      if (pos + 2 > b.length) return -1;
      pos += 2;
      return b[pos - 1]!;
    case 0xcd:
      if (pos + 3 > b.length) return -1;
      pos += 3;
      return (b[pos - 2]! << 8) | b[pos - 1]!;
    case 0xce:
      if (pos + 5 > b.length) return -1;
      pos += 5;
      return dataView(b).getUint32(pos - 4);
    case 0xcf:
    case 0xcb: {
      if (pos + 9 > b.length) return -1;
      const v = t === 0xcf ? Number(dataView(b).getBigUint64(pos + 1)) : dataView(b).getFloat64(pos + 1);
      pos += 9;
      return Number.isSafeInteger(v) && v >= 0 ? v : -1;
    }
    default:
      return -1;
  }
}

function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Skips the string at `pos` if it is at most `maxBytes` long; false if it is not a string or too long. */
function skipString(b: Uint8Array, maxBytes: number): boolean {
  const start = stringStart(b);
  if (start < 0 || strLength > maxBytes || start + strLength > b.length) return false;
  pos = start + strLength;
  return true;
}

let strLength = 0;
/** The offset of the string's bytes at `pos` (setting `strLength`), or -1 if `pos` holds no string. */
function stringStart(b: Uint8Array): number {
  if (pos >= b.length) return -1;
  const t = b[pos]!;
  if (t >= 0xa0 && t <= 0xbf) {
    strLength = t & 0x1f;
    return pos + 1;
  }
  if (t === 0xd9 && pos + 2 <= b.length) {
    strLength = b[pos + 1]!;
    return pos + 2;
  }
  if (t === 0xda && pos + 3 <= b.length) {
    strLength = (b[pos + 1]! << 8) | b[pos + 2]!;
    return pos + 3;
  }
  if (t === 0xdb && pos + 5 <= b.length) {
    strLength = dataView(b).getUint32(pos + 1);
    return pos + 5;
  }
  return -1;
}

/** Skips any msgpack value at `pos` (nested at most 8 deep); false if the bytes end or hold no valid value. */
function skipValue(b: Uint8Array, depth: number): boolean {
  if (pos >= b.length || depth > 8) return false;
  const t = b[pos]!;
  if (t <= 0x7f || t >= 0xe0 || t === NIL || t === 0xc2 || t === 0xc3) {
    pos += 1;
    return true;
  }
  if ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb) return skipString(b, b.length);
  const size = FIXED_SIZES[t];
  if (size !== undefined) {
    pos += 1 + size;
    return pos <= b.length;
  }
  let items = -1;
  let perItem = 1;
  if (t >= 0x90 && t <= 0x9f) items = t & 0x0f;
  else if (t >= 0x80 && t <= 0x8f) [items, perItem] = [t & 0x0f, 2];
  else if ((t === 0xdc || t === 0xde) && pos + 3 <= b.length) {
    items = (b[pos + 1]! << 8) | b[pos + 2]!;
    perItem = t === 0xde ? 2 : 1;
    pos += 2;
  } else if ((t === 0xc4 || t === 0xc5) && pos + 3 <= b.length) {
    const n = t === 0xc4 ? b[pos + 1]! : (b[pos + 1]! << 8) | b[pos + 2]!;
    pos += (t === 0xc4 ? 2 : 3) + n;
    return pos <= b.length;
  }
  if (items < 0) return false; // 32-bit lengths, extensions and the never-used 0xc1 go to the full decode
  pos += 1;
  for (let i = 0; i < items * perItem; i++) if (!skipValue(b, depth + 1)) return false;
  return true;
}

/** Payload sizes of the fixed-size msgpack types (ints, floats). */
const FIXED_SIZES: Record<number, number> = {
  0xca: 4,
  0xcb: 8,
  0xcc: 1,
  0xcd: 2,
  0xce: 4,
  0xcf: 8,
  0xd0: 1,
  0xd1: 2,
  0xd2: 4,
  0xd3: 8,
};

/** Recently read ids, by a hash of their bytes: a stream's batches reuse one string instead of building one each. */
const ID_CACHE_SIZE = 4096;
const idCache: (string | undefined)[] = new Array<string | undefined>(ID_CACHE_SIZE).fill(undefined);

/** An id (`[A-Za-z0-9_-]`, 1–64 characters) read from ASCII bytes, or undefined. */
function readId(b: Uint8Array): string | undefined {
  const start = stringStart(b);
  if (start < 0 || strLength < 1 || strLength > HARD_LIMITS.idChars || start + strLength > b.length) return undefined;
  const end = start + strLength;
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
    if (!ok) return undefined;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  pos = end;
  const slot = (hash >>> 0) % ID_CACHE_SIZE;
  const cached = idCache[slot];
  if (cached !== undefined && cached.length === strLength) {
    let same = true;
    for (let i = 0; i < strLength && same; i++) same = cached.charCodeAt(i) === b[start + i];
    if (same) return cached;
  }
  let id = '';
  for (let i = start; i < end; i++) id += String.fromCharCode(b[i]!);
  idCache[slot] = id;
  return id;
}

/**
 * The header of a token frame, or `undefined` when `bytes` is not a token frame in the usual encoding (then
 * decode it fully: {@link decodeServerFrame} says what is wrong, or returns the frame). Does not allocate beyond
 * the stream id and the result.
 */
export function readTokenHeader(
  bytes: Uint8Array,
  maxFrameBytes = DEFAULT_SERVER_LIMITS.maxFrameBytes,
): TokenHeader | undefined {
  const b = bytes;
  if (b.length < 5 || b.length > maxFrameBytes) return undefined;
  const t = b[0]!;
  let fields: number;
  if (t >= 0x94 && t <= 0x9f) {
    fields = t & 0x0f;
    pos = 1;
  } else return undefined;
  if (b[pos] !== TOKEN_KIND) return undefined;
  pos++;
  const streamId = readId(b);
  if (streamId === undefined) return undefined;
  const seq = readUint(b);
  if (seq < 0) return undefined;
  // Text and reasoning: at most HARD_LIMITS.batchChars characters, so at most that many bytes when checked here
  // (longer ones are rare and left to the full decode, which counts characters).
  if (!skipString(b, HARD_LIMITS.batchChars)) return undefined;
  let firstSeq: number | undefined;
  if (fields >= 5) {
    if (b[pos] === NIL) pos++;
    else if (!skipString(b, HARD_LIMITS.batchChars)) return undefined;
  }
  if (fields >= 6) {
    if (b[pos] === NIL) pos++;
    else {
      firstSeq = readUint(b);
      if (firstSeq < 0) return undefined;
    }
  }
  // Fields appended by later protocol versions are skipped here (their values are checked by the full decode,
  // when something needs them); the frame must end where its last field does, as the full decode requires.
  for (let i = 6; i < fields; i++) if (!skipValue(b, 0)) return undefined;
  if (pos !== b.length) return undefined;
  return { streamId, seq, firstSeq };
}

/**
 * A {@link TokenFrame} over its encoded bytes: the header fields are plain properties, the text fields are
 * decoded (and validated) from the bytes on first use. Fields appended to the token frame later must get a getter
 * here too (protocol's tests check every field of the schema against a full decode).
 */
export class TokenFrameView implements TokenFrame {
  readonly type = 'token' as const;
  readonly streamId: string;
  readonly seq: number;
  readonly firstSeq?: number;
  private full?: TokenFrame;

  constructor(
    /** The encoded frame (not copied: the caller keeps it unchanged while the view is used). */
    readonly bytes: Uint8Array,
    header: TokenHeader,
    /** The decoded frame, when the caller already has it. */
    decoded?: TokenFrame,
  ) {
    this.streamId = header.streamId;
    this.seq = header.seq;
    if (header.firstSeq !== undefined) this.firstSeq = header.firstSeq;
    this.full = decoded;
  }

  get text(): string {
    return this.decoded().text;
  }

  get reasoning(): string | undefined {
    return this.decoded().reasoning;
  }

  get tools(): TokenFrame['tools'] {
    return this.decoded().tools;
  }

  /** JSON of the whole frame (as a decoded frame would give). */
  toJSON(): TokenFrame {
    return this.decoded();
  }

  /** The whole frame, decoded and validated (once); throws the decoder's ProtocolError if the bytes are invalid. */
  decoded(): TokenFrame {
    if (this.full) return this.full;
    const result = decodeServerFrame(this.bytes);
    if (!result.ok) throw result.error;
    if (result.frame.type !== 'token') throw new TypeError('a TokenFrameView over a frame that is not a token');
    return (this.full = result.frame);
  }
}

/** A token frame's view over `bytes` when they hold one in the usual encoding (see {@link readTokenHeader}). */
export function viewTokenFrame(bytes: Uint8Array): TokenFrameView | undefined {
  const header = readTokenHeader(bytes);
  return header && new TokenFrameView(bytes, header);
}

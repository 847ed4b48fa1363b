/**
 * msgpack codec for frames. Encoding takes trusted, typed frames; decoding takes untrusted bytes and returns a
 * result — never throws — so a bad frame can be answered with an `error` frame while the socket loop goes on.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { ClientFrame, Frame, FrameOf, FrameType, ServerFrame } from './frames.js';
import { DEFAULT_CLIENT_LIMITS, DEFAULT_SERVER_LIMITS, type FrameLimits } from './limits.js';
import {
  CLIENT_FRAME_TYPES,
  FRAME_KINDS,
  SERVER_FRAME_TYPES,
  TYPE_BY_KIND,
  buildFrameTable,
  type FrameTable,
} from './schema.js';
import { InvalidField, type WireType } from './wire-type.js';

/** Why a frame was refused. `code` is also the error code sent back to the peer. */
export type ProtocolErrorCode = 'bad-frame' | 'frame-too-large';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** The frame type, when it could be read. */
    readonly frameType?: FrameType,
  ) {
    super(message);
  }
}

export type DecodeResult<F> = { ok: true; frame: F } | { ok: false; error: ProtocolError };

// Plain msgpack only: no records/structures (stateful between messages), no extension types on write.
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

const tables = new WeakMap<FrameLimits, FrameTable>();
function tableFor(limits: FrameLimits): FrameTable {
  let table = tables.get(limits);
  if (!table) tables.set(limits, (table = buildFrameTable(limits)));
  return table;
}

// Writing does not depend on limits.
const writeTable = tableFor(DEFAULT_SERVER_LIMITS);

/** The wire form of a frame: `[kind, ...fields]`. Used by the msgpack and JSON encodings alike. */
export function frameToWire(frame: Frame): unknown[] {
  const schema = writeTable[frame.type] as WireType<Frame>;
  return [FRAME_KINDS[frame.type], ...(schema.write(frame) as unknown[])];
}

/** Encodes a frame as msgpack. The frame must be well-formed (it comes from our own code). */
export function encodeFrame(frame: Frame): Uint8Array {
  return packr.pack(frameToWire(frame));
}

const clientTypes: ReadonlySet<FrameType> = new Set(CLIENT_FRAME_TYPES);
const serverTypes: ReadonlySet<FrameType> = new Set(SERVER_FRAME_TYPES);

/** Validates a decoded wire value (from msgpack or JSON) as one of `accepted` frame types. */
export function frameFromWire<F extends Frame>(
  wire: unknown,
  accepted: ReadonlySet<FrameType>,
  limits: FrameLimits,
): DecodeResult<F> {
  if (!Array.isArray(wire) || wire.length === 0 || typeof wire[0] !== 'number') {
    return fail('bad-frame', 'a frame is an array starting with its numeric kind');
  }
  const type = TYPE_BY_KIND.get(wire[0]);
  if (!type || !accepted.has(type)) return fail('bad-frame', `unknown or unexpected frame kind ${String(wire[0])}`);
  try {
    const schema = tableFor(limits)[type] as WireType<object>;
    const body = schema.read(wire.slice(1), type);
    return { ok: true, frame: { type, ...body } as F };
  } catch (error) {
    if (error instanceof InvalidField) return fail('bad-frame', `invalid ${type} frame: ${error.message}`, type);
    return fail('bad-frame', `invalid ${type} frame`, type);
  }
}

function decodeWith<F extends Frame>(
  bytes: Uint8Array,
  accepted: ReadonlySet<FrameType>,
  limits: FrameLimits,
): DecodeResult<F> {
  if (bytes.byteLength > limits.maxFrameBytes) {
    return fail('frame-too-large', `frame of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxFrameBytes}`);
  }
  if (bytes.byteLength === 0) return fail('bad-frame', 'empty frame');
  let wire: unknown;
  try {
    wire = unpackr.unpack(bytes);
  } catch {
    return fail('bad-frame', 'not valid msgpack');
  }
  return frameFromWire<F>(wire, accepted, limits);
}

function toBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Decodes a frame sent by a client (used by the relay). */
export function decodeClientFrame(
  data: Uint8Array | ArrayBuffer,
  limits: FrameLimits = DEFAULT_CLIENT_LIMITS,
): DecodeResult<ClientFrame> {
  return decodeWith<ClientFrame>(toBytes(data), clientTypes, limits);
}

/** Decodes a frame sent by a server (used by clients, and by relays reading the broker). */
export function decodeServerFrame(
  data: Uint8Array | ArrayBuffer,
  limits: FrameLimits = DEFAULT_SERVER_LIMITS,
): DecodeResult<ServerFrame> {
  return decodeWith<ServerFrame>(toBytes(data), serverTypes, limits);
}

/** JSON text form of a frame (same positional arrays), for transports that carry text, such as SSE. */
export function encodeFrameJson(frame: Frame): string {
  return JSON.stringify(frameToWire(frame));
}

export function decodeClientFrameJson(
  text: string,
  limits: FrameLimits = DEFAULT_CLIENT_LIMITS,
): DecodeResult<ClientFrame> {
  return decodeJsonWith<ClientFrame>(text, clientTypes, limits);
}

export function decodeServerFrameJson(
  text: string,
  limits: FrameLimits = DEFAULT_SERVER_LIMITS,
): DecodeResult<ServerFrame> {
  return decodeJsonWith<ServerFrame>(text, serverTypes, limits);
}

function decodeJsonWith<F extends Frame>(
  text: string,
  accepted: ReadonlySet<FrameType>,
  limits: FrameLimits,
): DecodeResult<F> {
  // Length in UTF-16 units is a lower bound of the UTF-8 byte size; good enough to bound the parse.
  if (text.length > limits.maxFrameBytes) {
    return fail('frame-too-large', `frame of ${text.length} characters exceeds the limit of ${limits.maxFrameBytes}`);
  }
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    return fail('bad-frame', 'not valid JSON');
  }
  return frameFromWire<F>(wire, accepted, limits);
}

function fail(code: ProtocolErrorCode, message: string, frameType?: FrameType): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message, frameType) };
}

/** Narrowing helper: `isFrame(f, 'token')`. */
export function isFrame<T extends FrameType>(frame: Frame, type: T): frame is FrameOf<T> {
  return frame.type === type;
}

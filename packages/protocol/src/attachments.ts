/**
 * Attachments: files and images a user message carries. The bytes never travel in frames: the client uploads
 * them to a store the app provides (a presigned URL, or the demo relay's small upload endpoint) and the send frame
 * names them by URL. One place for the rules every layer applies: what a URL may be, how big and how many.
 */
import { InvalidField, list, record, str, uint, type WireType } from './wire-type.js';

/** A file or image attached to a user message (`SendFrame.attachments`, `ChatMessage.attachments`). */
export interface Attachment {
  /** The store's id of the upload. */
  id: string;
  /** The file's name as the user had it (shown on its chip, given to the model with the file's text). */
  name: string;
  /** Its media type, e.g. `image/png` or `text/plain` (no parameters). */
  mediaType: string;
  /** Bytes. */
  size: number;
  /** Where it can be read: an `https:` URL, or a path on the relay's origin (`/uploads/…`). */
  url: string;
}

/** Hard caps that no configuration lifts (a relay's own limits may be lower). */
export const ATTACHMENT_LIMITS = {
  /** Attachments per message. */
  perMessage: 16,
  /** Bytes of one attachment (1 GiB: the store's own limit is normally far lower). */
  maxBytes: 1024 * 1024 * 1024,
  idChars: 128,
  nameChars: 255,
  mediaTypeChars: 127,
  urlChars: 2048,
} as const;

/** `type/subtype`, RFC 6838 restricted-name characters, no parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;
const ATTACHMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
// Control characters (C0, DEL, C1) and the bidi overrides that could disguise a file's name on its chip.
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * True for URLs an attachment may have: absolute `https:` URLs without credentials, or a path on the serving
 * origin (`/…`, not a protocol-relative `//host`). Anything else (`http:`, `data:`, `blob:`, `javascript:`, a
 * relative path without a leading slash) is refused: a URL from one user is later fetched by other parties
 * (the bridge, the model server, the page), so it must not point at plain-text channels or inline content.
 */
export function isAttachmentUrl(url: string): boolean {
  if (url.length === 0 || url.length > ATTACHMENT_LIMITS.urlChars) return false;
  // Whitespace, controls and backslashes are normalised away differently by different URL parsers.
  if (/[\s\\\u0000-\u001f\u007f]/.test(url)) return false;
  if (url.startsWith('/')) return !url.startsWith('//');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && parsed.hostname !== '';
}

/** True for images the page can show as a thumbnail (raster formats; SVG is a file: it can carry script). */
export function isImageAttachment(a: Pick<Attachment, 'mediaType'>): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/i.test(a.mediaType);
}

const attachmentUrl: WireType<string> = {
  describe: 'https: URL or /path',
  read(raw, path) {
    if (typeof raw !== 'string' || !isAttachmentUrl(raw)) throw new InvalidField(path, 'https: URL or /path');
    return raw;
  },
  write: (v) => v,
};

const attachmentName: WireType<string> = {
  describe: `file name (1..${ATTACHMENT_LIMITS.nameChars}, no control characters)`,
  read(raw, path) {
    if (
      typeof raw !== 'string' ||
      raw.length === 0 ||
      raw.length > ATTACHMENT_LIMITS.nameChars ||
      UNSAFE_NAME.test(raw)
    )
      throw new InvalidField(path, attachmentName.describe);
    return raw;
  },
  write: (v) => v,
};

/** An attachment on the wire: `[id, name, mediaType, size, url]`. */
export const attachmentWire: WireType<Attachment> = record<Attachment>(
  {
    id: str({ min: 1, max: ATTACHMENT_LIMITS.idChars, pattern: ATTACHMENT_ID }),
    name: attachmentName,
    mediaType: str({ min: 3, max: ATTACHMENT_LIMITS.mediaTypeChars, pattern: MEDIA_TYPE }),
    size: uint(ATTACHMENT_LIMITS.maxBytes),
    url: attachmentUrl,
  },
  'attachment',
);

/** The attachments of one message. */
export const attachmentList: WireType<Attachment[]> = list(attachmentWire, ATTACHMENT_LIMITS.perMessage);

/**
 * Why `attachment` breaks the protocol's rules, or undefined when it keeps them: for code that builds one (the
 * client before it sends, an upload endpoint) and wants the same answer the relay will give.
 */
export function attachmentProblem(attachment: Attachment): string | undefined {
  try {
    attachmentWire.read(attachmentWire.write(attachment), 'attachment');
    return undefined;
  } catch (error) {
    return error instanceof InvalidField ? error.message : String(error);
  }
}

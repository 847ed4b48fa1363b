/**
 * The relay's small upload store (the `uploadDir` option): files in a directory, each with a JSON sidecar that
 * names its owner, so every relay process on the host sees the same uploads. It works like an object store's
 * presigned uploads: `presign` reserves an id for one user and one declared size and type and returns a PUT URL
 * carrying a random secret (the capability to write it once; the sidecar keeps only its hash, so any process on
 * the host can check it); `put` stores the bytes; `read` serves them.
 * Ids are 128 random bits, so a file's URL is its read capability (as a presigned GET URL would be: an `<img>`
 * cannot send a bearer token).
 *
 * For demos and single hosts. In production, point clients at your object store (S3/GCS presigned PUT URLs)
 * and give the relay a `verifyAttachment` hook.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageAttachment, type Attachment } from '@locallightchat/protocol';

/** What the client declares before uploading. */
export interface UploadRequest {
  name: string;
  mediaType: string;
  size: number;
}

/** An upload's record (the sidecar). */
export interface UploadRecord extends UploadRequest {
  id: string;
  owner: string;
  createdAt: number;
  /** Set once the bytes are stored. */
  complete: boolean;
  /** SHA-256 of the PUT URL's secret (base64url). */
  sigHash: string;
}

/** Why an upload was refused, with the HTTP status to answer. */
export class UploadRefused extends Error {
  override readonly name = 'UploadRefused';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadStoreOptions {
  dir: string;
  /** Largest file, bytes. */
  maxBytes: number;
  /** Accepted media types (`type/*` wildcards allowed). */
  mediaTypes: readonly string[];
  /** Path the files are served under (default `/uploads`). */
  basePath?: string;
}

const ID = /^up_[0-9a-f]{32}$/;

const hash = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when `mediaType` matches one of `patterns` (`image/*` style wildcards). */
export function mediaTypeAllowed(mediaType: string, patterns: readonly string[]): boolean {
  const type = mediaType.toLowerCase();
  return patterns.some((p) =>
    p.endsWith('/*') ? type.startsWith(p.slice(0, -1).toLowerCase()) : p.toLowerCase() === type,
  );
}

export class UploadStore {
  readonly #ready: Promise<unknown>;
  readonly basePath: string;

  constructor(readonly options: UploadStoreOptions) {
    this.basePath = options.basePath ?? '/uploads';
    this.#ready = mkdir(options.dir, { recursive: true });
  }

  /** Reserves an upload for `owner`: its attachment (URL to read it) and the URL to PUT its bytes to. */
  async presign(owner: string, request: UploadRequest): Promise<{ attachment: Attachment; uploadUrl: string }> {
    const { maxBytes, mediaTypes } = this.options;
    if (!Number.isSafeInteger(request.size) || request.size < 0)
      throw new UploadRefused(400, 'size must be a whole number of bytes');
    if (request.size > maxBytes)
      throw new UploadRefused(413, `files are limited to ${maxBytes} bytes (this one has ${request.size})`);
    if (!mediaTypeAllowed(request.mediaType, mediaTypes))
      throw new UploadRefused(415, `files of type ${request.mediaType} are not accepted (${mediaTypes.join(', ')})`);
    await this.#ready;
    const id = `up_${randomBytes(16).toString('hex')}`;
    const sig = randomBytes(16).toString('base64url');
    const record: UploadRecord = { ...request, id, owner, createdAt: Date.now(), complete: false, sigHash: hash(sig) };
    await writeFile(this.#meta(id), JSON.stringify(record), { flag: 'wx' });
    const attachment: Attachment = { id, ...request, url: `${this.basePath}/${id}` };
    return { attachment, uploadUrl: `${this.basePath}/${id}?sig=${sig}` };
  }

  /** Stores the bytes of a reserved upload (the signature proves the PUT URL came from `presign`). */
  async put(id: string, sig: string, body: Uint8Array | undefined): Promise<UploadRecord> {
    const record = await this.record(id);
    if (!record || !sameSecret(record.sigHash, hash(sig))) throw new UploadRefused(403, 'this upload URL is not valid');
    if (record.complete) throw new UploadRefused(409, 'this upload is already stored');
    if (!body || body.byteLength !== record.size)
      throw new UploadRefused(
        body && body.byteLength < record.size ? 400 : 413,
        `the upload must be exactly the declared ${record.size} bytes`,
      );
    const tmp = `${this.#file(id)}.part`;
    await writeFile(tmp, body);
    await rename(tmp, this.#file(id));
    const done = { ...record, complete: true };
    await writeFile(this.#meta(id), JSON.stringify(done));
    return done;
  }

  /** The record of an upload, or undefined. */
  async record(id: string): Promise<UploadRecord | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.#meta(id), 'utf8')) as UploadRecord;
    } catch {
      return undefined;
    }
  }

  /** A stored file and its record, or undefined. */
  async read(id: string): Promise<{ record: UploadRecord; body: Buffer } | undefined> {
    const record = await this.record(id);
    if (!record?.complete) return undefined;
    return { record, body: await readFile(this.#file(id)) };
  }

  /**
   * Whether `attachment` is a stored upload of `owner`, named as `presign` returned it (id, URL, size and type;
   * the name is the user's to keep).
   */
  async owns(owner: string, attachment: Attachment): Promise<boolean> {
    const record = await this.record(attachment.id);
    return (
      record !== undefined &&
      record.complete &&
      record.owner === owner &&
      attachment.url === `${this.basePath}/${record.id}` &&
      attachment.size === record.size &&
      attachment.mediaType === record.mediaType
    );
  }

  /** Headers a stored file is served with: never sniffed, never run as a page; images inline, the rest downloads. */
  static servingHeaders(record: UploadRecord): Record<string, string> {
    const image = isImageAttachment(record);
    const fileName = encodeURIComponent(record.name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
    return {
      'content-type': image ? record.mediaType : 'application/octet-stream',
      'content-disposition': `${image ? 'inline' : 'attachment'}; filename*=UTF-8''${fileName}`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'private, max-age=86400, immutable',
    };
  }

  #file(id: string): string {
    return join(this.options.dir, id);
  }

  #meta(id: string): string {
    return join(this.options.dir, `${id}.json`);
  }
}

/**
 * The relay's small upload store (the `uploadDir` option): files in a directory, each with a JSON sidecar that
 * names its owner, so every relay process on the host sees the same uploads. It works like an object store's
 * presigned uploads: `presign` reserves an id for one user and one declared size and type and returns a PUT URL
 * carrying a random secret (the capability to write it once; the sidecar keeps only its hash, so any process on
 * the host can check it); `put` stores the bytes; `read` serves them.
 * Ids are 128 random bits, so a file's URL is its read capability (as a presigned GET URL would be: an `<img>`
 * cannot send a bearer token).
 *
 * Each user holds at most `maxBytesPerUser` bytes of files, counted in the shared Store (its upload byte quota,
 * store/upload-quota.ts): `presign` refuses a file that would not fit, and `put` reserves the bytes before it
 * writes any (so a concurrent burst cannot overshoot), gives them back if the write fails, and on a refusal
 * leaves nothing behind (no file, no partial file, no record). An upload sent in a message is deleted (and its
 * bytes given back) with the last conversation that uses it (`attach`, `forgetConversation`; an index file per
 * conversation under `conversations/` names its uploads).
 *
 * For demos and single hosts. In production, point clients at your object store (S3/GCS presigned PUT URLs)
 * and give the relay a `verifyAttachment` hook.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageAttachment, type Attachment } from '@locallightchat/protocol';
import { withDefaults } from '../options.js';
import type { UploadQuotaPort } from '../store/upload-quota.js';

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
  /** Conversations whose messages carry it (see {@link UploadStore.attach}); deleted with the last of them. */
  conversations?: string[];
}

/** Why an upload was refused, with the HTTP status to answer (and a code for the ones a client acts on). */
export class UploadRefused extends Error {
  override readonly name = 'UploadRefused';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415,
    message: string,
    /** `upload-quota-exceeded`: the user holds their quota of upload bytes. */
    readonly code?: 'upload-quota-exceeded',
  ) {
    super(message);
  }
}

/** Settings of an {@link UploadStore}; its constructor takes the directory and a partial of the rest. */
export interface UploadStoreOptions {
  dir: string;
  /** Largest file, bytes. */
  maxBytes: number;
  /** Bytes of files one user may hold (counted in the shared Store, see the module comment). */
  maxBytesPerUser: number;
  /** Accepted media types (`type/*` wildcards allowed). */
  mediaTypes: readonly string[];
  /** Path the files are served under. */
  basePath: string;
}

/** What an {@link UploadStore} takes unless told otherwise. */
export const DEFAULT_UPLOAD_STORE_OPTIONS: Omit<UploadStoreOptions, 'dir'> = {
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerUser: 100 * 1024 * 1024,
  mediaTypes: [
    'image/png',
    'image/jpeg',
    'image/gif',
    'image/webp',
    'text/plain',
    'text/markdown',
    'text/csv',
    'application/json',
    'application/pdf',
  ],
  basePath: '/uploads',
};

/** Full options from the directory and a partial of the rest (keys left out or `undefined` take their default). */
export function resolveUploadStoreOptions(
  partial: Partial<UploadStoreOptions> & Pick<UploadStoreOptions, 'dir'>,
): UploadStoreOptions {
  return withDefaults(DEFAULT_UPLOAD_STORE_OPTIONS, partial);
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
  readonly options: UploadStoreOptions;
  readonly basePath: string;

  /** `quota` keeps each user's count of upload bytes (the relay's Store, shared by its processes). */
  constructor(
    options: Partial<UploadStoreOptions> & Pick<UploadStoreOptions, 'dir'>,
    private readonly quota: UploadQuotaPort,
  ) {
    this.options = resolveUploadStoreOptions(options);
    this.basePath = this.options.basePath;
    this.#ready = mkdir(join(this.options.dir, 'conversations'), { recursive: true });
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
    // Refused early when it cannot fit; `put` takes the bytes (a presign alone holds none of the quota).
    const { used } = await this.quota.reserveUploadBytes(owner, 0, this.options.maxBytesPerUser);
    if (used + request.size > this.options.maxBytesPerUser) throw this.#overQuota(used);
    await this.#ready;
    const id = `up_${randomBytes(16).toString('hex')}`;
    const sig = randomBytes(16).toString('base64url');
    const record: UploadRecord = { ...request, id, owner, createdAt: Date.now(), complete: false, sigHash: hash(sig) };
    await writeFile(this.#meta(id), JSON.stringify(record), { flag: 'wx' });
    const attachment: Attachment = { id, ...request, url: `${this.basePath}/${id}` };
    return { attachment, uploadUrl: `${this.basePath}/${id}?sig=${sig}` };
  }

  /** The record a PUT URL names, when its signature proves it came from `presign`. */
  async authorize(id: string, sig: string): Promise<UploadRecord> {
    const record = await this.record(id);
    if (!record || !sameSecret(record.sigHash, hash(sig))) throw new UploadRefused(403, 'this upload URL is not valid');
    return record;
  }

  /**
   * Stores the bytes of a reserved upload: takes them from the owner's quota first, gives them back if the write
   * fails; over the quota, the upload is dropped (its URL no longer works) and nothing is stored.
   */
  async put(id: string, sig: string, body: Uint8Array | undefined): Promise<UploadRecord> {
    const record = await this.authorize(id, sig);
    if (record.complete) throw new UploadRefused(409, 'this upload is already stored');
    if (!body || body.byteLength !== record.size)
      throw new UploadRefused(
        body && body.byteLength < record.size ? 400 : 413,
        `the upload must be exactly the declared ${record.size} bytes`,
      );
    const tmp = `${this.#file(id)}.part`;
    // The partial file, created exclusively, makes one PUT of an id its writer until the bytes are in place (the
    // record is marked complete first), so a concurrent second PUT cannot take the quota twice for one file.
    const handle = await open(tmp, 'wx').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UploadRefused(409, 'this upload is already being stored');
      throw error;
    });
    let reserved = false;
    try {
      if ((await this.record(id))?.complete) throw new UploadRefused(409, 'this upload is already stored');
      const taken = await this.quota.reserveUploadBytes(record.owner, record.size, this.options.maxBytesPerUser);
      if (!taken.ok) {
        await rm(this.#meta(id), { force: true });
        throw this.#overQuota(taken.used);
      }
      reserved = true;
      await handle.writeFile(body);
      await handle.close();
      const done = { ...record, complete: true };
      await writeFile(`${this.#meta(id)}.part`, JSON.stringify(done));
      await rename(`${this.#meta(id)}.part`, this.#meta(id));
      await rename(tmp, this.#file(id));
      return done;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      if (reserved) {
        // Nothing of a failed write stays: its record is dropped too (the URL no longer works).
        await rm(`${this.#meta(id)}.part`, { force: true });
        await rm(this.#meta(id), { force: true });
        await rm(this.#file(id), { force: true });
        await this.quota.releaseUploadBytes(record.owner, record.size);
      }
      throw error;
    }
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
    // Marked complete a moment before its bytes are moved in place (see `put`): not there yet.
    const body = await readFile(this.#file(id)).catch(() => undefined);
    return body && { record, body };
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

  /**
   * Records that a stored message of `conversationId` carries the upload `id` of `owner` (idempotent: a retried
   * send records nothing twice), so deleting that conversation deletes it unless another one uses it.
   */
  async attach(owner: string, conversationId: string, id: string): Promise<void> {
    const record = await this.record(id);
    if (!record?.complete || record.owner !== owner) return;
    await this.#ready;
    const uses = record.conversations ?? [];
    if (!uses.includes(conversationId)) await this.#saveRecord({ ...record, conversations: [...uses, conversationId] });
    await appendFile(this.#index(conversationId), `${id}\n`);
  }

  /**
   * Deletes the uploads of `owner` that `conversationId` used and no other conversation of theirs still uses,
   * giving their bytes back to the owner's quota; returns how many were deleted. Called once the conversation
   * itself is deleted.
   */
  async forgetConversation(owner: string, conversationId: string): Promise<number> {
    const index = this.#index(conversationId);
    const listed = await readFile(index, 'utf8').catch(() => '');
    let deleted = 0;
    for (const id of new Set(listed.split('\n').filter(Boolean))) {
      const record = await this.record(id);
      if (!record || record.owner !== owner) continue;
      const uses = (record.conversations ?? []).filter((c) => c !== conversationId);
      if (uses.length > 0) {
        await this.#saveRecord({ ...record, conversations: uses });
        continue;
      }
      // The record goes first (the file is no longer served); only the process that removed it gives the bytes
      // back, so two relays deleting at once release them once.
      const removed = await unlink(this.#meta(id)).then(
        () => true,
        () => false,
      );
      if (!removed) continue;
      await rm(this.#file(id), { force: true });
      if (record.complete) await this.quota.releaseUploadBytes(owner, record.size);
      deleted++;
    }
    await rm(index, { force: true });
    return deleted;
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

  #overQuota(used: number): UploadRefused {
    const max = this.options.maxBytesPerUser;
    return new UploadRefused(
      413,
      `your uploads reached their limit (${max} bytes; you hold ${used}); delete some to upload more`,
      'upload-quota-exceeded',
    );
  }

  /** Replaces a record atomically (a reader never sees half of one). */
  async #saveRecord(record: UploadRecord): Promise<void> {
    const tmp = `${this.#meta(record.id)}.${randomBytes(4).toString('hex')}.part`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, this.#meta(record.id));
  }

  #index(conversationId: string): string {
    return join(this.options.dir, 'conversations', hash(conversationId));
  }

  #file(id: string): string {
    return join(this.options.dir, id);
  }

  #meta(id: string): string {
    return join(this.options.dir, `${id}.json`);
  }
}

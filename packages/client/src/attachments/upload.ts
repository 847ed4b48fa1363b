/**
 * Uploading attachments, the way object stores take them (and the way the AI SDK and assistant-ui attachment
 * adapters leave it to the app): the app's `presignUpload` hook says where one file goes — a URL to PUT its
 * bytes to, and the attachment (id and read URL) it becomes — and the client PUTs it with progress. Apps with
 * S3/GCS return a presigned PUT URL from their backend; `relayPresign()` uses the relay's own small upload
 * endpoint (`uploadDir`). The relay later checks the attachment is the user's (its own uploads, or the app's
 * `verifyAttachment` hook).
 */
import type { Attachment } from '@locallightchat/protocol/core';

/** What the client knows of a file before it is uploaded. */
export interface AttachmentFile {
  name: string;
  mediaType: string;
  size: number;
}

/** Where one file goes. */
export interface PresignedUpload {
  /** The URL the bytes are sent to (absolute, or relative to the page). */
  uploadUrl: string;
  /** Default `PUT` (S3/GCS presigned URLs and the relay's endpoint). */
  method?: 'PUT' | 'POST';
  /** Headers the store requires (e.g. `content-type` a presigned URL was signed with). */
  headers?: Record<string, string>;
  /** The attachment the upload becomes (its `url` is where it is read). */
  attachment: Attachment;
}

/**
 * The app's upload hook: reserves one upload and says where it goes. `token` gives the user's relay token, for
 * hooks that authenticate with it. Throw an {@link AttachmentUploadError} with a message for the user to refuse
 * a file.
 */
export type PresignUpload = (file: AttachmentFile, token: () => Promise<string>) => Promise<PresignedUpload>;

/** An upload that failed; `retryable` when trying again later may work (offline, a 5xx). */
export class AttachmentUploadError extends Error {
  override readonly name = 'AttachmentUploadError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Progress of one upload: bytes sent of the total. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * A {@link PresignUpload} for the relay's own upload endpoint (a relay with `uploadDir`): `POST <endpoint>` with
 * the user's relay token. `endpoint` defaults to `/uploads` on the page's origin (the relay serving the page).
 */
export function relayPresign(endpoint = '/uploads'): PresignUpload {
  return async (file, token) => {
    const url = new URL(endpoint, globalThis.location?.href).href;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify(file),
      });
    } catch (error) {
      throw new AttachmentUploadError(`could not reach the upload server (${String(error)})`, true);
    }
    const body = (await response.json().catch(() => ({}))) as Partial<PresignedUpload> & { error?: string };
    if (!response.ok || !body.uploadUrl || !body.attachment)
      throw new AttachmentUploadError(
        body.error ?? `the upload server answered ${response.status}`,
        // 429: the relay's per-user upload rate limit; waiting works (its quota's 413 does not).
        response.status >= 500 || response.status === 429,
      );
    const uploadUrl = new URL(body.uploadUrl, url).href;
    return { uploadUrl, attachment: body.attachment };
  };
}

/** Sends a file's bytes where `presigned` says, reporting progress (XMLHttpRequest: fetch has no upload progress). */
export function putFile(
  presigned: PresignedUpload,
  file: Blob,
  onProgress?: UploadProgress,
  signal?: AbortSignal,
): Promise<void> {
  const method = presigned.method ?? 'PUT';
  if (typeof XMLHttpRequest === 'undefined') {
    // Workers without XHR, Node: no progress events, the same request.
    return fetch(presigned.uploadUrl, {
      method,
      body: file,
      headers: presigned.headers ?? {},
      signal: signal ?? null,
    }).then(
      (response) => {
        if (!response.ok) throw uploadRefused(response.status);
        onProgress?.(file.size, file.size);
      },
      (error: unknown) => {
        throw new AttachmentUploadError(`the upload failed (${String(error)})`, true);
      },
    );
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, presigned.uploadUrl);
    for (const [k, v] of Object.entries(presigned.headers ?? {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(file.size, file.size);
        resolve();
      } else reject(uploadRefused(xhr.status));
    };
    xhr.onerror = () => reject(new AttachmentUploadError('the upload failed (network error)', true));
    xhr.onabort = () => reject(new AttachmentUploadError('the upload was cancelled', false));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

function uploadRefused(status: number): AttachmentUploadError {
  return new AttachmentUploadError(`the upload was refused (HTTP ${status})`, status >= 500 || status === 429);
}

/** Presigns and uploads one file; resolves with the attachment the message names. */
export async function uploadFile(
  presign: PresignUpload,
  token: () => Promise<string>,
  file: Blob,
  info: AttachmentFile,
  onProgress?: UploadProgress,
  signal?: AbortSignal,
): Promise<Attachment> {
  const presigned = await presign(info, token);
  await putFile(presigned, file, onProgress, signal);
  return presigned.attachment;
}

/**
 * The composer's attachments: files added by the picker, paste or drag-and-drop are checked against the
 * composer's limits (type, size, count; each refusal said in words and announced), shown as chips (a thumbnail
 * for images, from a local `blob:` URL) with a Remove button, and uploaded at once while connected, with
 * progress. Offline (or when the upload cannot reach the store) a file is kept as is and goes with the message:
 * the client stores it on the device and uploads it after the next connection.
 *
 * Loaded by `import()` after the composer's first render (load-composer-attachments.ts), not with the page: most conversations
 * attach nothing, and the first load has a ceiling (scripts/bundle.mjs). The chips and their styles are the
 * composer's (attachment-chips.ts). This module imports no values (types only): a value import of Lit or the
 * client would make esbuild split them out of the entry into shared chunks, which compress worse (tried: the
 * first load grew by 0.4 KB min+gzip although 3.3 KB min left it).
 */
import type { AttachmentUploadError, LlcClient } from '@locallightchat/client';
import type { Attachment } from '@locallightchat/protocol/core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatStrings } from '../strings.js';

/** One file in the composer. */
export interface ComposerFile {
  key: number;
  file: File;
  preview?: string;
  /** `uploading` → `ready`; `queued` waits for a connection; `failed` is not sent. */
  state: 'uploading' | 'ready' | 'queued' | 'failed';
  progress: number;
  attachment?: Attachment;
  error?: string;
  abort?: AbortController;
}

export interface AttachmentLimits {
  /** Accepted types: MIME types, `type/*` wildcards or `.ext` suffixes (the file input's `accept` syntax). */
  accept: string;
  maxFileBytes: number;
  maxFiles: number;
}

const RASTER = /^image\/(png|jpeg|gif|webp|avif|bmp)$/i;

/** Whether `file` matches the `accept` list (same rules as `<input type=file accept>`). */
export function acceptsFile(file: { name: string; type: string }, accept: string): boolean {
  const rules = accept
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
  if (rules.length === 0) return true;
  const type = file.type.toLowerCase();
  const name = file.name.toLowerCase();
  return rules.some((r) =>
    r.startsWith('.') ? name.endsWith(r) : r.endsWith('/*') ? type.startsWith(r.slice(0, -1)) : type === r,
  );
}

export class ComposerAttachments implements ReactiveController {
  files: ComposerFile[] = [];
  /** The last refusal or failure, shown under the chips (also announced). */
  error = '';
  #keys = 0;

  constructor(
    private readonly host: ReactiveControllerHost & {
      client?: LlcClient;
      strings: ChatStrings;
      limits: AttachmentLimits;
      announce(text: string): void;
    },
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.clear(true);
  }

  get uploading(): boolean {
    return this.files.some((f) => f.state === 'uploading');
  }

  /** What the message carries: uploaded attachments and files still to upload (failed ones are left out). */
  get outgoing(): (Attachment | File)[] {
    return this.files.flatMap((f): (Attachment | File)[] =>
      f.state === 'ready' && f.attachment ? [f.attachment] : f.state === 'queued' ? [f.file] : [],
    );
  }

  /** Takes files from the picker, a paste or a drop. */
  add(files: Iterable<File>): void {
    const s = this.host.strings;
    const { accept, maxFileBytes, maxFiles } = this.host.limits;
    const refused: string[] = [];
    let tooMany = false;
    for (const file of files) {
      if (!acceptsFile(file, accept)) refused.push(s.attachmentTypeRefused(file.name, file.type));
      else if (file.size > maxFileBytes) refused.push(s.attachmentTooLarge(file.name, maxFileBytes));
      else if (this.files.length >= maxFiles) tooMany = true;
      else {
        const entry: ComposerFile = { key: ++this.#keys, file, state: 'queued', progress: 0 };
        if (RASTER.test(file.type) && typeof URL.createObjectURL === 'function')
          entry.preview = URL.createObjectURL(file);
        this.files = [...this.files, entry];
        this.host.announce(s.attachmentAdded(file.name));
        this.#upload(entry);
      }
    }
    if (tooMany) refused.push(s.tooManyAttachments(maxFiles));
    this.error = refused.join(' ');
    if (this.error) this.host.announce(this.error);
    this.host.requestUpdate();
  }

  remove(key: number): void {
    const entry = this.files.find((f) => f.key === key);
    if (!entry) return;
    entry.abort?.abort();
    if (entry.preview) URL.revokeObjectURL(entry.preview);
    this.files = this.files.filter((f) => f !== entry);
    this.host.announce(this.host.strings.attachmentRemoved(entry.file.name));
    this.host.requestUpdate();
  }

  /** Empties the composer (after a send; `revoke` also frees the previews, which a queued message no longer uses). */
  clear(revoke: boolean): void {
    for (const f of this.files) {
      if (f.state === 'uploading') f.abort?.abort();
      if (revoke && f.preview) URL.revokeObjectURL(f.preview);
    }
    this.files = [];
    this.error = '';
    this.host.requestUpdate();
  }

  /** Uploads now when connected; otherwise the file waits (`queued`) and goes with the message. */
  #upload(entry: ComposerFile): void {
    const client = this.host.client;
    if (!client || client.connectionStatus !== 'open') return;
    entry.state = 'uploading';
    entry.abort = new AbortController();
    client
      .uploadAttachment(entry.file, {
        signal: entry.abort.signal,
        onProgress: (sent, total) => {
          entry.progress = total > 0 ? sent / total : 1;
          this.host.requestUpdate();
        },
      })
      .then(
        (attachment) => {
          entry.state = 'ready';
          entry.attachment = attachment;
          entry.progress = 1;
          this.host.announce(this.host.strings.attachmentUploaded(entry.file.name));
        },
        (error: unknown) => {
          if (entry.abort?.signal.aborted) return;
          // By name, not `instanceof`: that would import the class (see the module's doc).
          const retry =
            (error as Error | undefined)?.name === 'AttachmentUploadError'
              ? (error as AttachmentUploadError).retryable
              : true;
          entry.state = retry ? 'queued' : 'failed';
          if (!retry) {
            entry.error = error instanceof Error ? error.message : String(error);
            this.error = this.host.strings.attachmentFailed(entry.file.name, entry.error);
            this.host.announce(this.error);
          }
        },
      )
      .finally(() => this.host.requestUpdate());
  }
}

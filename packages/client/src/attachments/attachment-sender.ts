/**
 * Messages with files to upload first (see attachment-outbox.ts for the guarantees): shown at once with their
 * files (a local preview for images, progress while they upload), uploaded when connected, then handed to the
 * message outbox under the same client message id.
 */
import type { Attachment, SendFrame } from '@locallightchat/protocol/core';
import type { ClientAttachment, ClientMessage } from '../types.js';
import {
  isUploaded,
  withLock,
  type AttachmentOutboxStore,
  type QueuedItem,
  type QueuedSend,
} from './attachment-outbox.js';
import { AttachmentUploadError, uploadFile, type PresignUpload } from './upload.js';

/** A file to attach: a `File` (its name and type are used) or a Blob with them given. */
export type AttachmentInput = Attachment | File;

export interface AttachmentSenderDeps {
  store: AttachmentOutboxStore;
  presign?: PresignUpload;
  token: () => Promise<string>;
  /** Shows a message as pending (not sent), placed on the branch shown now: returns the frame to send later. */
  show(frame: SendFrame, place?: boolean): { message: ClientMessage; frame: SendFrame };
  /** The shown message, to update its attachments. */
  message(conversationId: string, key: string): ClientMessage | undefined;
  changed(conversationId: string): void;
  /** Hands a message to the outbox (it is shown already). */
  deliver(frame: SendFrame): void;
  /** Names the Web Lock tabs share per message. */
  lockPrefix: string;
  warn(message: string, error?: unknown): void;
}

const isFile = (a: AttachmentInput): a is File => typeof Blob !== 'undefined' && a instanceof Blob;

function preview(file: Blob): string {
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : '';
}

let localIds = 0;

export class AttachmentSender {
  readonly #deps: AttachmentSenderDeps;
  /** Messages being uploaded by this page (a second flush leaves them alone). */
  readonly #busy = new Set<string>();

  constructor(deps: AttachmentSenderDeps) {
    this.#deps = deps;
  }

  /** Shows and queues a message whose attachments include files; uploads start once connected (`flush`). */
  enqueue(frame: SendFrame, attachments: readonly AttachmentInput[]): ClientMessage {
    if (!this.#deps.presign)
      throw new AttachmentUploadError('this client has no presignUpload hook: files cannot be uploaded', false);
    const items: QueuedItem[] = attachments.map((a) =>
      isFile(a)
        ? { file: a, info: { name: a.name || 'file', mediaType: a.type || 'application/octet-stream', size: a.size } }
        : { attachment: a },
    );
    const shown = this.#deps.show(frame);
    const entry: QueuedSend = { frame: shown.frame, items, at: Date.now() };
    const message = this.#withAttachments(shown.message, entry);
    void this.#deps.store
      .put(entry)
      .catch((error: unknown) => this.#deps.warn('could not store the attachments', error));
    return message;
  }

  /** Shows the messages an earlier page queued (not shown yet). */
  async restore(): Promise<void> {
    for (const entry of await this.#deps.store.all()) {
      if (this.#deps.message(entry.frame.conversationId, entry.frame.clientMessageId)) continue;
      this.#withAttachments(this.#deps.show(entry.frame, false).message, entry);
    }
  }

  /** Uploads and delivers every queued message, oldest first (call when connected). */
  async flush(): Promise<void> {
    for (const queued of await this.#deps.store.all()) {
      const id = queued.frame.clientMessageId;
      if (this.#busy.has(id)) continue;
      this.#busy.add(id);
      try {
        await withLock(`${this.#deps.lockPrefix}${id}`, () => this.#send(id));
      } catch (error) {
        this.#fail(queued, error);
        if (!(error instanceof AttachmentUploadError) || error.retryable) return; // offline again: the next connection retries
      } finally {
        this.#busy.delete(id);
      }
    }
  }

  /** Uploads what is left of one message (re-read under the lock: another tab may have sent it) and delivers it. */
  async #send(id: string): Promise<void> {
    const entry = await this.#deps.store.get(id);
    if (!entry) return;
    const { conversationId } = entry.frame;
    for (let i = 0; i < entry.items.length; i++) {
      const item = entry.items[i]!;
      if (isUploaded(item)) continue;
      const attachment = await uploadFile(this.#deps.presign!, this.#deps.token, item.file, item.info, (sent, total) =>
        this.#update(conversationId, id, i, { progress: total > 0 ? sent / total : 1 }),
      );
      entry.items[i] = { attachment };
      await this.#deps.store.put(entry);
      this.#update(conversationId, id, i, { ...attachment, pending: false, progress: 1 });
    }
    const attachments = entry.items.filter(isUploaded).map((item) => item.attachment);
    this.#deps.deliver({ ...entry.frame, attachments });
    await this.#deps.store.remove(id);
  }

  /** The shown message with the entry's files (local previews until they are uploaded). */
  #withAttachments(message: ClientMessage, entry: QueuedSend): ClientMessage {
    message.attachments = entry.items.map((item): ClientAttachment =>
      isUploaded(item)
        ? item.attachment
        : { id: `local-${++localIds}`, ...item.info, url: preview(item.file), pending: true, progress: 0 },
    );
    this.#deps.changed(entry.frame.conversationId);
    return message;
  }

  #update(conversationId: string, key: string, index: number, patch: Partial<ClientAttachment>): void {
    const message = this.#deps.message(conversationId, key);
    const current = message?.attachments?.[index];
    if (!message?.attachments || !current) return;
    const next = [...message.attachments];
    next[index] = { ...current, ...patch };
    message.attachments = next;
    this.#deps.changed(conversationId);
  }

  #fail(entry: QueuedSend, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.#deps.warn(`attachments of ${entry.frame.clientMessageId} not uploaded yet`, error);
    const message = this.#deps.message(entry.frame.conversationId, entry.frame.clientMessageId);
    if (!message?.attachments) return;
    message.attachments = message.attachments.map((a) => (a.pending ? { ...a, error: text } : a));
    this.#deps.changed(entry.frame.conversationId);
  }
}

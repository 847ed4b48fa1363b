/**
 * The client's AttachmentSender: where its outbox lives (IndexedDB, database `llc:<storageName>:attachments`,
 * unless the client's storage is off or the page has no IndexedDB), the Web Locks its tabs share (named by
 * `storageName`, like the connection), and where its warnings go.
 */
import type { ResolvedClientOptions } from '../client-options.js';
import { IdbAttachmentOutboxStore, MemoryAttachmentOutboxStore } from './attachment-outbox.js';
import { AttachmentSender, type AttachmentSenderDeps } from './attachment-sender.js';

/** What the sender needs of the conversation it shows messages in and of the message outbox. */
export type AttachmentSenderHooks = Pick<AttachmentSenderDeps, 'show' | 'message' | 'changed' | 'deliver'>;

export function createAttachmentSender(
  options: Pick<ResolvedClientOptions, 'storage' | 'storageName' | 'presignUpload'>,
  token: () => Promise<string>,
  hooks: AttachmentSenderHooks,
): AttachmentSender {
  return new AttachmentSender({
    store:
      options.storage === false || typeof indexedDB === 'undefined'
        ? new MemoryAttachmentOutboxStore()
        : new IdbAttachmentOutboxStore(`llc:${options.storageName}:attachments`),
    ...(options.presignUpload ? { presign: options.presignUpload } : {}),
    token,
    ...hooks,
    lockPrefix: `llc-attachments:${options.storageName}:`,
    warn: (message, error) => console.warn(`[llc-client] ${message}`, error ?? ''),
  });
}

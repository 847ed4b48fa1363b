/**
 * The attachment outbox: messages whose files are not uploaded yet (sent offline, or before their uploads
 * finished). Each is stored on the device with its files' bytes (IndexedDB keeps Blobs; a database of its own,
 * `<name>:attachments`, so the message outbox's schema is untouched), shown at once as pending, and — once
 * connected — its files are uploaded one by one (each result stored as it lands, so a reload does not upload it
 * again), then the message goes to the ordinary outbox with the same client message id: the relay answers it
 * once however often it arrives. Tabs take each message under a Web Lock and re-read it inside, so two tabs do
 * not upload the same files.
 */
import type { IDBPDatabase } from 'idb';
import type { Attachment, SendFrame } from '@locallightchat/protocol/core';
import type { AttachmentFile } from './upload.js';

/** One attachment of a queued message: uploaded, or a file still to upload. */
export type QueuedItem = { attachment: Attachment } | { file: Blob; info: AttachmentFile };

/** A message waiting for its uploads. */
export interface QueuedSend {
  frame: SendFrame;
  items: QueuedItem[];
  at: number;
}

export interface AttachmentOutboxStore {
  put(entry: QueuedSend): Promise<void>;
  get(clientMessageId: string): Promise<QueuedSend | undefined>;
  remove(clientMessageId: string): Promise<void>;
  all(): Promise<QueuedSend[]>;
}

export class MemoryAttachmentOutboxStore implements AttachmentOutboxStore {
  readonly #entries = new Map<string, QueuedSend>();
  async put(entry: QueuedSend): Promise<void> {
    this.#entries.set(entry.frame.clientMessageId, entry);
  }
  async get(id: string): Promise<QueuedSend | undefined> {
    return this.#entries.get(id);
  }
  async remove(id: string): Promise<void> {
    this.#entries.delete(id);
  }
  async all(): Promise<QueuedSend[]> {
    return [...this.#entries.values()].sort((a, b) => a.at - b.at);
  }
}

export class IdbAttachmentOutboxStore implements AttachmentOutboxStore {
  readonly #db: Promise<IDBPDatabase>;
  constructor(name: string) {
    this.#db = import('idb').then(({ openDB }) =>
      openDB(name, 1, {
        upgrade(db) {
          db.createObjectStore('pending', { keyPath: 'frame.clientMessageId' });
        },
      }),
    );
  }
  async put(entry: QueuedSend): Promise<void> {
    await (await this.#db).put('pending', entry);
  }
  async get(id: string): Promise<QueuedSend | undefined> {
    return (await (await this.#db).get('pending', id)) as QueuedSend | undefined;
  }
  async remove(id: string): Promise<void> {
    await (await this.#db).delete('pending', id);
  }
  async all(): Promise<QueuedSend[]> {
    return ((await (await this.#db).getAll('pending')) as QueuedSend[]).sort((a, b) => a.at - b.at);
  }
}

/** Runs `work` while holding the named Web Lock (tabs of one origin), or directly where there are no locks. */
export function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request(name, work) as Promise<T>) : work();
}

export const isUploaded = (item: QueuedItem): item is { attachment: Attachment } => 'attachment' in item;

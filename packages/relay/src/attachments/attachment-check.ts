/**
 * Which attachments a user may put on a message. The protocol already bounded their count, sizes and URLs
 * (https: or a path on this origin); here the relay checks they are the sender's: an upload of this relay's
 * store (`uploadDir`) must belong to the sender, and any other URL must be accepted by the app's
 * `verifyAttachment` hook (without one, only this relay's own uploads are accepted: a URL from one user is later
 * fetched by the bridge and the model server, so the relay does not pass on URLs it cannot vouch for).
 */
import type { Attachment } from '@locallightchat/protocol';
import type { UploadStore } from './upload-store.js';

/** The app's check of an attachment stored elsewhere (e.g. the object key in its URL is under the user's prefix). */
export type VerifyAttachment = (userId: string, attachment: Attachment) => boolean | Promise<boolean>;

export class AttachmentCheck {
  constructor(
    private readonly maxAttachments: number,
    private readonly uploads: UploadStore | undefined,
    private readonly verify: VerifyAttachment | undefined,
  ) {}

  /** Why `userId` may not send `attachments`, or undefined when it may. */
  async problem(userId: string, attachments: readonly Attachment[]): Promise<string | undefined> {
    if (attachments.length > this.maxAttachments)
      return `messages are limited to ${this.maxAttachments} attachments (this one has ${attachments.length})`;
    const ids = new Set<string>();
    for (const a of attachments) {
      if (ids.has(a.id)) return `attachment ${a.id} is named twice`;
      ids.add(a.id);
      const local = this.uploads && a.url.startsWith(`${this.uploads.basePath}/`);
      const ok = local ? await this.uploads!.owns(userId, a) : this.verify ? await this.verify(userId, a) : false;
      if (!ok)
        return local || !this.verify
          ? `attachment ${a.name} is not an upload of yours on this server`
          : `attachment ${a.name} was refused`;
    }
    return undefined;
  }

  /** Records that a stored message of `conversationId` carries these (this relay's uploads are deleted with it). */
  async used(userId: string, conversationId: string, attachments: readonly Attachment[]): Promise<void> {
    if (!this.uploads) return;
    for (const a of attachments)
      if (a.url.startsWith(`${this.uploads.basePath}/`)) await this.uploads.attach(userId, conversationId, a.id);
  }
}

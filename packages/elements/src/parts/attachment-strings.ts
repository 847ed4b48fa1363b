/** The attachments' user-facing strings (part of `ChatStrings`). */
export interface AttachmentStrings {
  /** The composer's attach button. */
  attach: string;
  /** The list of a message's (or the composer's) attachments. */
  attachments: string;
  removeAttachment: (name: string) => string;
  attachmentAdded: (name: string) => string;
  attachmentRemoved: (name: string) => string;
  attachmentUploaded: (name: string) => string;
  attachmentTooLarge: (name: string, maxBytes: number) => string;
  attachmentTypeRefused: (name: string, type: string) => string;
  tooManyAttachments: (max: number) => string;
  attachmentFailed: (name: string, why: string) => string;
  /** A file kept on the device until the connection returns. */
  uploadsWhenOnline: string;
  uploading: (percent: number) => string;
  /** Shown over the composer while files are dragged over it. */
  dropFiles: string;
  /** The Send button's label while uploads run. */
  waitForUploads: string;
}

/** A byte count for people: `512 B`, `1.5 KB`, `10 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`;
}

export const DEFAULT_ATTACHMENT_STRINGS: AttachmentStrings = {
  attach: 'Attach files',
  attachments: 'Attachments',
  removeAttachment: (name) => `Remove ${name}`,
  attachmentAdded: (name) => `${name} attached.`,
  attachmentRemoved: (name) => `${name} removed.`,
  attachmentUploaded: (name) => `${name} uploaded.`,
  attachmentTooLarge: (name, max) => `${name} is too large: files can be up to ${formatBytes(max)}.`,
  attachmentTypeRefused: (name, type) => `${name} cannot be attached: ${type || 'this type of file'} is not accepted.`,
  tooManyAttachments: (max) => `You can attach up to ${max} files to one message.`,
  attachmentFailed: (name, why) => `${name} could not be uploaded: ${why}`,
  uploadsWhenOnline: 'Uploads when back online',
  uploading: (percent) => `Uploading, ${percent}%`,
  dropFiles: 'Drop files to attach them',
  waitForUploads: 'Uploading…',
};

/**
 * A message's attachments in the transcript: images as thumbnails (a link to the full image), other files as
 * chips with their name, type and size (a download link). Only attachment URLs the protocol allows reach here
 * (https: or the relay's own paths) plus the client's local `blob:` previews while a file waits to upload; SVG
 * and other non-raster types are files, never rendered inline.
 */
import type { ClientAttachment } from '@locallightchat/client';
import { isImageAttachment } from '@locallightchat/protocol/core';
import { css, html, nothing } from 'lit';
import type { ChatStrings } from '../strings.js';
import { formatBytes } from './attachment-strings.js';

/** True for URLs the page may load for an attachment (never `javascript:` or `data:` from elsewhere). */
function safeUrl(url: string): string | undefined {
  return /^(https:\/\/|\/(?!\/)|blob:)/i.test(url) ? url : undefined;
}

export function renderMessageAttachments(attachments: readonly ClientAttachment[] | undefined, strings: ChatStrings) {
  if (!attachments?.length) return nothing;
  return html`<ul class="attachments" part="attachments" aria-label=${strings.attachments}>
    ${attachments.map((a) => {
      const url = safeUrl(a.url);
      const state = a.error
        ? strings.attachmentFailed(a.name, a.error)
        : a.pending
          ? a.progress
            ? strings.uploading(Math.round(a.progress * 100))
            : strings.uploadsWhenOnline
          : undefined;
      const label = `${a.name}, ${formatBytes(a.size)}`;
      const body =
        isImageAttachment(a) && url
          ? html`<img class="thumbnail" part="attachment-thumbnail" src=${url} alt=${a.name} loading="lazy" />`
          : html`<span class="file-icon" aria-hidden="true">📄</span
              ><span class="file-name" part="attachment-name">${a.name}</span
              ><span class="file-meta">${formatBytes(a.size)}</span>`;
      return html`<li class="attachment ${a.pending ? 'pending' : ''}" part="attachment" data-type=${a.mediaType}>
        ${
          url && !a.pending
            ? html`<a href=${url} target="_blank" rel="noopener noreferrer" title=${label}>${body}</a>`
            : body
        }
        ${state ? html`<span class="attachment-state" part="attachment-state">${state}</span>` : nothing}
      </li>`;
    })}
  </ul>`;
}

export const attachmentStyles = css`
  .attachments {
    list-style: none;
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    margin: 0.5rem 0 0;
    padding: 0;
  }
  .attachment {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    gap: 0.25rem;
    max-width: 14rem;
  }
  .attachment a,
  .attachment > span.file-name {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    color: inherit;
    text-decoration: none;
  }
  .attachment a:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  .thumbnail {
    display: block;
    /* A fixed box (also a comfortable target): the image is cropped to fit, the link opens it whole. */
    width: 8rem;
    height: 6rem;
    border-radius: 8px;
    border: 1px solid var(--llc-border, #cbd5e1);
    object-fit: cover;
  }
  .file-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    max-width: 10rem;
  }
  .file-meta,
  .attachment-state {
    font-size: 0.8em;
    color: var(--llc-muted, #475569);
  }
  .attachment.pending .thumbnail {
    opacity: 0.7;
  }
`;

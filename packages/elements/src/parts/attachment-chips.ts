/**
 * The composer's attached files as chips (a thumbnail for images, name, size, upload state, Remove) and the last
 * refusal, with their styles: on the first load with the composer, while the code that checks and uploads files
 * (composer-attachments.ts) is loaded after the composer's first render.
 */
import { css, html, nothing } from 'lit';
import type { ChatStrings } from '../strings.js';
import { formatBytes } from './attachment-strings.js';
import type { ComposerAttachments } from './composer-attachments.js';

/** The chips (and the last error) above the text box; nothing before the first file. */
export function renderAttachmentChips(files: ComposerAttachments | undefined, s: ChatStrings) {
  if (!files) return nothing;
  return html`${
    files.files.length
      ? html`<ul class="chips" part="attachments" aria-label=${s.attachments}>
          ${files.files.map((f) => {
            const label = `${f.file.name}, ${formatBytes(f.file.size)}`;
            const state =
              f.state === 'uploading'
                ? s.uploading(Math.round(f.progress * 100))
                : f.state === 'queued'
                  ? s.uploadsWhenOnline
                  : f.state === 'failed'
                    ? (f.error ?? '')
                    : '';
            return html`<li class="chip ${f.state}" part="attachment" data-state=${f.state}>
              ${
                f.preview
                  ? html`<img class="chip-thumb" part="attachment-thumbnail" src=${f.preview} alt="" />`
                  : html`<span class="chip-icon" aria-hidden="true">📄</span>`
              }
              <span class="chip-text">
                <span class="chip-name" title=${label}>${f.file.name}</span>
                <span class="chip-meta">${formatBytes(f.file.size)}${state ? html` · ${state}` : nothing}</span>
                ${
                  f.state === 'uploading'
                    ? html`<progress
                        part="attachment-progress"
                        max="100"
                        value=${Math.round(f.progress * 100)}
                        aria-label=${s.uploading(Math.round(f.progress * 100))}
                      ></progress>`
                    : nothing
                }
              </span>
              <button
                type="button"
                class="chip-remove"
                part="attachment-remove"
                aria-label=${s.removeAttachment(f.file.name)}
                title=${s.removeAttachment(f.file.name)}
                @click=${() => files.remove(f.key)}
              >
                ×
              </button>
            </li>`;
          })}
        </ul>`
      : nothing
  }
  ${files.error ? html`<p class="attach-error" part="attachment-error">${files.error}</p>` : nothing}`;
}

export const composerAttachmentStyles = css`
  .chips {
    list-style: none;
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    margin: 0;
    padding: 0.5rem 0.75rem 0;
  }
  .chip {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    max-width: 16rem;
    padding: 0.25rem 0.25rem 0.25rem 0.5rem;
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: var(--llc-radius, 12px);
    background: var(--llc-input-bg, #fff);
  }
  .chip.failed {
    border-color: var(--llc-error, #b91c1c);
  }
  .chip-thumb {
    width: 2.5rem;
    height: 2.5rem;
    object-fit: cover;
    border-radius: 6px;
  }
  .chip-text {
    display: flex;
    flex-direction: column;
    min-width: 0;
  }
  .chip-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .chip-meta {
    font-size: 0.8em;
    color: var(--llc-muted, #475569);
  }
  .chip progress {
    width: 100%;
    height: 0.4rem;
  }
  button.chip-remove {
    padding: 0.25rem 0.6rem;
    min-width: 2rem;
    background: transparent;
    color: inherit;
    font-size: 1.1em;
    line-height: 1;
  }
  .attach-error {
    margin: 0.5rem 0.75rem 0;
    color: var(--llc-error, #b91c1c);
  }
  button.attach {
    background: var(--llc-stop-bg, #e2e8f0);
    color: var(--llc-stop-fg, #0f172a);
  }
  form.dragging {
    outline: 2px dashed var(--llc-focus, #2563eb);
    outline-offset: -4px;
  }
`;

/**
 * Styles of the built-in message actions: quiet, always visible (never hover-only, so touch and keyboard users
 * find them), at least 44 px tall on touch screens, and a 16 px editor font so phones do not zoom on focus.
 */
import { css } from 'lit';

export const messageActionStyles = css`
  .builtin-actions,
  .comment,
  .editor-buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    margin-top: 0.375rem;
    align-items: center;
  }
  [part~='action-button'] {
    font: inherit;
    font-size: 0.8rem;
    color: var(--llc-muted, #475569);
    background: transparent;
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 6px;
    padding: 0.125rem 0.5rem;
    min-height: 28px;
    cursor: pointer;
  }
  [part~='action-button']:hover,
  [part~='action-button'][aria-pressed='true'] {
    color: var(--llc-fg, #0f172a);
    border-color: var(--llc-accent, #1d4ed8);
  }
  [part~='action-button']:focus-visible,
  .editor textarea:focus-visible,
  .comment input:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  .editor textarea,
  .comment input {
    font: inherit;
    font-size: max(16px, 1rem);
    color: inherit;
    background: var(--llc-bg, #fff);
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 6px;
    padding: 0.375rem 0.5rem;
    box-sizing: border-box;
  }
  .editor textarea {
    width: 100%;
    min-height: 4.5rem;
    resize: vertical;
  }
  .comment input {
    flex: 1 1 12rem;
  }
  @media (pointer: coarse) {
    [part~='action-button'] {
      min-height: 44px;
      min-width: 44px;
    }
  }
`;

/** Styles of `<llc-conversation-list>`: fixed-height rows (the virtualizer places them without measuring). */
import { css } from 'lit';

/** Height of one row, px: a 44 px touch target. */
export const ROW_HEIGHT = 44;

export const conversationListStyles = css`
  /* In a flex column (as <llc-chat>'s sidebar) it fills the height and scrolls inside; elsewhere give it a
     height, or every row is drawn. */
  :host {
    display: flex;
    flex-direction: column;
    flex: 1 1 auto;
    min-height: 0;
    font: inherit;
  }
  input {
    font: inherit;
    font-size: max(16px, 1rem);
    padding: 0.375rem 0.5rem;
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 6px;
    background: var(--llc-bg, #fff);
    color: inherit;
  }
  [part='search'] {
    margin: 0.5rem;
  }
  [role='grid'] {
    overflow-y: auto;
    flex: 1;
    min-height: 0;
    position: relative;
  }
  [role='rowgroup'] {
    position: relative;
    width: 100%;
  }
  [role='row'] {
    position: absolute;
    top: 0;
    left: 0;
    right: 0;
    height: ${ROW_HEIGHT}px;
    display: flex;
    align-items: center;
  }
  .title {
    flex: 1;
    min-width: 0;
    height: 100%;
    display: flex;
    align-items: center;
    padding: 0 0.75rem;
    cursor: pointer;
  }
  .title > span {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .title > input {
    flex: 1;
    min-width: 0;
    padding: 0.125rem 0.375rem;
  }
  [aria-current='true'] .title {
    font-weight: 600;
  }
  [aria-invalid='true'] {
    border-color: var(--llc-danger, #b91c1c);
  }
  .error {
    color: var(--llc-danger, #b91c1c);
    font-size: 0.875em;
    padding: 0 0.75rem;
  }
  button {
    font: inherit;
    color: inherit;
    background: transparent;
    border: 0;
    padding: 0.5rem 0.75rem;
    min-height: 44px;
    cursor: pointer;
  }
  .title:focus-visible,
  button:focus-visible,
  input:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: -2px;
  }
`;

/**
 * The "N / M" picker of a message with several versions (an edit or a regenerate made a sibling branch): previous
 * and next buttons (native buttons, labelled, in reading order; disabled at the ends) around the position, whose
 * full wording ("Version 2 of 3") is what assistive technology reads. A choice is spoken through the transcript's
 * live region and carried out like the built-in actions: a cancelable `llc-message-action` (`select-branch`,
 * with `branch`), then the message's `perform` hook (the transcript calls `LlcClient.selectBranch`).
 *
 * Switching is allowed at any time, also while an answer of another branch is being written: that answer keeps
 * going on the relay and is resumed when its branch is shown again.
 */
import { css, html, nothing } from 'lit';
import type { ChatStrings } from '../strings.js';

export interface BranchPickerOptions {
  /** The message's versions (server ids, oldest first), itself included. */
  siblings: readonly string[] | undefined;
  /** The message's own server id. */
  messageId: string | undefined;
  strings: ChatStrings;
  /** Shows the version with this id. */
  select(id: string, index: number, count: number): void;
}

export function renderBranchPicker(o: BranchPickerOptions) {
  const { siblings, messageId, strings: s } = o;
  const index = messageId === undefined || !siblings ? -1 : siblings.indexOf(messageId);
  if (!siblings || siblings.length < 2 || index === -1) return nothing;
  const count = siblings.length;
  const go = (to: number) => o.select(siblings[to]!, to + 1, count);
  return html`<div class="branches" part="branches" role="group" aria-label=${s.branches}>
    <button
      type="button"
      part="branch-button branch-previous"
      aria-label=${s.previousBranch}
      ?disabled=${index === 0}
      @click=${() => go(index - 1)}
    >
      <span aria-hidden="true">‹</span>
    </button>
    <span part="branch-position"
      ><span aria-hidden="true">${index + 1} / ${count}</span
      ><span class="visually-hidden">${s.branchPosition(index + 1, count)}</span></span
    >
    <button
      type="button"
      part="branch-button branch-next"
      aria-label=${s.nextBranch}
      ?disabled=${index === count - 1}
      @click=${() => go(index + 1)}
    >
      <span aria-hidden="true">›</span>
    </button>
  </div>`;
}

/** Quiet like the actions, with targets of at least 44 px on touch screens. */
export const branchPickerStyles = css`
  .branches {
    display: inline-flex;
    align-items: center;
    gap: 0.25rem;
    margin-top: 0.375rem;
    font-size: 0.8rem;
    color: var(--llc-muted, #475569);
  }
  [part~='branch-button'] {
    font: inherit;
    color: inherit;
    background: transparent;
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 6px;
    min-width: 28px;
    min-height: 28px;
    cursor: pointer;
  }
  [part~='branch-button']:disabled {
    opacity: 0.5;
    cursor: default;
  }
  [part~='branch-button']:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  [part~='branch-position'] {
    font-variant-numeric: tabular-nums;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  @media (pointer: coarse) {
    [part~='branch-button'] {
      min-width: 44px;
      min-height: 44px;
    }
  }
`;

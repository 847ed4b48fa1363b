/**
 * Styles of `<llc-message-list>`. `.row.last` holds the list's bottom padding in the newest row itself (see
 * virtual/list-options.ts: not the virtualizer's paddingEnd, so a growing answer's follow write is never clamped).
 */
import { css } from 'lit';

export const listStyles = css`
  :host {
    display: block;
    min-height: 0;
    position: relative;
  }
  .log {
    height: 100%;
    overflow-y: auto;
    box-sizing: border-box;
    overflow-anchor: none;
  }
  .log:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: -2px;
  }
  .spacer {
    position: relative;
    width: 100%;
  }
  .row {
    position: absolute;
    top: 0;
    inset-inline-start: 0;
    width: 100%;
    box-sizing: border-box;
    padding: 0 1rem 0.75rem;
  }
  .spacer:not(.plain) > .row.last {
    padding-block-end: calc(0.75rem + 12px);
  }
  /* Plain rows, before the virtualizer's chunk is there: in normal flow, the virtualizer's 12px padding kept. */
  .spacer.plain {
    padding-block: 12px;
    box-sizing: border-box;
  }
  .spacer.plain > .row {
    position: static;
  }
  .empty {
    display: flex;
    height: 100%;
    align-items: center;
    justify-content: center;
    text-align: center;
    padding: 1rem;
    color: var(--llc-muted, #475569);
  }
  .jump {
    position: absolute;
    inset-block-end: 0.75rem;
    inset-inline-end: 1rem;
    font: inherit;
    font-size: 0.85rem;
    padding: 0.4rem 0.8rem;
    border-radius: 999px;
    border: 1px solid var(--llc-border, #cbd5e1);
    background: var(--llc-bg, #fff);
    color: var(--llc-fg, #0f172a);
    box-shadow: 0 2px 6px rgb(0 0 0 / 0.15);
    cursor: pointer;
  }
  .jump[hidden] {
    display: none;
  }
  .jump:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  .announcer {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  @media (pointer: coarse) {
    .jump {
      min-height: 44px;
      min-width: 44px;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .log {
      scroll-behavior: auto;
    }
  }
`;

/**
 * Styles of `<llc-message>`. Colours come from the theme's custom properties (set by `<llc-chat>` for light
 * and dark; the fallbacks here keep a bare `<llc-message>` readable). Logical properties keep RTL right; code
 * stays left-to-right.
 */
import { css } from 'lit';

export const messageStyles = css`
  :host {
    display: block;
  }
  article {
    padding: var(--llc-message-padding, 0.75rem 1rem);
    border-radius: var(--llc-radius, 12px);
    max-width: 100%;
    box-sizing: border-box;
  }
  :host([role-name='user']) article {
    background: var(--llc-user-bg, #eef2ff);
    color: var(--llc-user-fg, inherit);
    margin-inline-start: 15%;
  }
  :host([role-name='assistant']) article {
    background: var(--llc-assistant-bg, transparent);
    color: var(--llc-assistant-fg, inherit);
  }
  .author {
    font-size: 0.75rem;
    font-weight: 600;
    color: var(--llc-muted, #475569);
    margin-bottom: 0.25rem;
  }
  .content {
    line-height: 1.55;
    overflow-wrap: anywhere;
  }
  .plain {
    white-space: pre-wrap;
  }
  /* In an answer that streamed here, blocks off screen skip layout and paint (they stay in the accessibility
     tree); each keeps the size it was last laid out at ("auto"), so with the view following the stream the row
     measures at its real size. Kept once the answer is done: dropping it then relaid and repainted every block
     in one task (125 ms at 4x CPU throttle in bench/throttled-stream.mjs, 2026-12-04). A block that streamed
     while the reader was scrolled away is laid out when it comes into view, like a highlighted code chunk. */
  .markdown.streamed > * {
    content-visibility: auto;
    contain-intrinsic-size: auto 1.5em;
  }
  .content pre {
    background: var(--llc-code-bg, #0f172a);
    color: var(--llc-code-fg, #e2e8f0);
    padding: 0.75rem;
    border-radius: 8px;
    overflow-x: auto;
    direction: ltr;
    text-align: left;
    margin: 0;
  }
  .content code {
    font-family: var(--llc-mono, ui-monospace, SFMono-Regular, Menlo, monospace);
    font-size: 0.9em;
  }
  .content table {
    border-collapse: collapse;
    display: block;
    overflow-x: auto;
    max-width: 100%;
  }
  .content th,
  .content td {
    border: 1px solid var(--llc-border, #cbd5e1);
    padding: 0.25rem 0.5rem;
  }
  .content [data-align='left'] {
    text-align: left;
  }
  .content [data-align='center'] {
    text-align: center;
  }
  .content [data-align='right'] {
    text-align: right;
  }
  .content a {
    color: var(--llc-link, #1d4ed8);
  }
  .content img {
    max-width: 100%;
    height: auto;
  }
  .tool-calls {
    display: grid;
    gap: 0.5rem;
    margin-top: 0.5rem;
  }
  .tool-call {
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 8px;
    padding: 0.5rem 0.75rem;
    font-size: 0.875rem;
  }
  .tool-call-head {
    display: flex;
    justify-content: space-between;
    gap: 0.5rem;
  }
  .tool-call-name {
    font-family: var(--llc-mono, ui-monospace, SFMono-Regular, Menlo, monospace);
    font-weight: 600;
  }
  .tool-call-status {
    color: var(--llc-muted, #475569);
  }
  .tool-call-args,
  .tool-call-result {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    margin: 0.35rem 0 0;
    font-family: var(--llc-mono, ui-monospace, SFMono-Regular, Menlo, monospace);
    font-size: 0.85em;
  }
  .tool-call-actions {
    display: flex;
    gap: 0.5rem;
    margin-top: 0.5rem;
  }
  .tool-call-actions button {
    font: inherit;
    border-radius: 6px;
    padding: 0.15rem 0.75rem;
    cursor: pointer;
    border: 1px solid var(--llc-accent, #1d4ed8);
    background: transparent;
    color: var(--llc-accent, #1d4ed8);
  }
  .tool-call-actions button[part='tool-approve-button'] {
    background: var(--llc-accent, #1d4ed8);
    color: var(--llc-accent-fg, #fff);
  }
  .tool-call-actions button:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  .reasoning {
    margin: 0 0 0.5rem;
    border-inline-start: 3px solid var(--llc-border, #cbd5e1);
    padding-inline-start: 0.6rem;
    color: var(--llc-muted, #475569);
    font-size: 0.875rem;
  }
  .reasoning summary {
    cursor: pointer;
    font-weight: 600;
  }
  .reasoning summary:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  .reasoning-text {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    margin-top: 0.35rem;
    overflow-y: auto;
  }
  .content .link-host {
    color: var(--llc-muted, #475569);
    font-size: 0.85em;
  }
  .image-placeholder {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.5rem;
    padding: 0.35rem 0.6rem;
    border: 1px dashed var(--llc-border, #cbd5e1);
    border-radius: 8px;
    font-size: 0.875rem;
  }
  .image-placeholder .image-host {
    color: var(--llc-muted, #475569);
  }
  .image-placeholder button {
    font: inherit;
    color: var(--llc-accent-fg, #fff);
    background: var(--llc-accent, #1d4ed8);
    border: 0;
    border-radius: 6px;
    padding: 0.15rem 0.6rem;
    cursor: pointer;
  }
  .image-placeholder button:focus-visible {
    outline: 2px solid var(--llc-focus, #2563eb);
    outline-offset: 2px;
  }
  /* A Mermaid diagram: its height is fixed when its fence closes, so nothing below moves when it is drawn. */
  .diagram {
    margin: 0.75rem 0;
    block-size: var(--llc-diagram-height, 18rem);
    display: flex;
    flex-direction: column;
    border: 1px solid var(--llc-border, #cbd5e1);
    border-radius: 8px;
    overflow: hidden;
    background: var(--llc-diagram-bg, #fff);
    color: #0f172a;
  }
  .diagram pre {
    flex: 1;
    margin: 0;
    overflow: auto;
    border-radius: 0;
  }
  .diagram-canvas {
    flex: 1;
    min-block-size: 0;
    padding: 0.5rem;
  }
  .diagram-error {
    margin: 0;
    padding: 0.375rem 0.6rem;
    font-size: 0.875rem;
    color: var(--llc-error, #b91c1c);
  }
  .code-block {
    margin: 0.75rem 0;
    border-radius: 8px;
    overflow: hidden;
    background: var(--llc-code-bg, #0f172a);
  }
  .code-toolbar {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: 0.5rem;
    padding: 0.25rem 0.5rem;
    font-size: 0.75rem;
    color: var(--llc-code-fg, #e2e8f0);
    background: var(--llc-code-bar-bg, #1e293b);
  }
  .code-toolbar button {
    font: inherit;
    color: inherit;
    background: transparent;
    border: 1px solid currentColor;
    border-radius: 6px;
    padding: 0.1rem 0.5rem;
    cursor: pointer;
  }
  .code-toolbar button:focus-visible {
    outline: 2px solid var(--llc-focus, #60a5fa);
    outline-offset: 2px;
  }
  .code-block pre {
    border-radius: 0;
  }
  /* Highlighted code comes in blocks of 40 lines; those off screen skip layout and paint (see code/highlighted-code.ts).
     As wide as their longest line, so long lines scroll with the <pre> instead of being clipped. */
  .code-chunk {
    display: block;
    width: max-content;
    min-width: 100%;
    content-visibility: auto;
    contain-intrinsic-block-size: auto calc(var(--llc-chunk-lines, 40) * 1lh);
  }
  .status {
    font-size: 0.8rem;
    color: var(--llc-muted, #475569);
    margin-top: 0.25rem;
  }
  .error {
    color: var(--llc-error, #b91c1c);
  }
  .actions:empty {
    display: none;
  }
  /* highlight.js token colours (a small dark palette; override with ::part(code) or the custom properties). */
  .hljs-keyword,
  .hljs-selector-tag,
  .hljs-built_in {
    color: var(--llc-hl-keyword, #c4b5fd);
  }
  .hljs-string,
  .hljs-attr,
  .hljs-template-tag {
    color: var(--llc-hl-string, #86efac);
  }
  .hljs-number,
  .hljs-literal {
    color: var(--llc-hl-number, #fdba74);
  }
  .hljs-comment {
    color: var(--llc-hl-comment, #94a3b8);
    font-style: italic;
  }
  .hljs-title,
  .hljs-function,
  .hljs-title.function_ {
    color: var(--llc-hl-title, #7dd3fc);
  }
  /* Touch screens: every control at least 44 × 44 px (WCAG 2.5.5; Apple's and Google's guidance). */
  @media (pointer: coarse) {
    .tool-call-actions button,
    .image-placeholder button,
    .code-toolbar button,
    .reasoning summary {
      min-height: 44px;
      min-width: 44px;
    }
    .reasoning summary {
      display: flex;
      align-items: center;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
    }
  }
`;

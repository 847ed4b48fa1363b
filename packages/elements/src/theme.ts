/**
 * The theme: every colour is a CSS custom property on `<llc-chat>`, light by default, dark under
 * `prefers-color-scheme: dark` or with `theme="dark"` (`theme="light"` forces light). Page styles win over
 * these defaults, so `llc-chat { --llc-accent: teal }` just works.
 */
import { css, unsafeCSS } from 'lit';

const light = {
  bg: '#ffffff',
  fg: '#0f172a',
  muted: '#475569',
  border: '#cbd5e1',
  accent: '#4338ca',
  'accent-fg': '#ffffff',
  'user-bg': '#eef2ff',
  'code-bg': '#0f172a',
  'code-fg': '#e2e8f0',
  'code-bar-bg': '#1e293b',
  link: '#1d4ed8',
  error: '#b91c1c',
  'input-bg': '#ffffff',
  'stop-bg': '#e2e8f0',
  'stop-fg': '#0f172a',
  'status-fg': '#475569',
  focus: '#2563eb',
};
const dark: typeof light = {
  bg: '#0f172a',
  fg: '#e2e8f0',
  muted: '#94a3b8',
  border: '#334155',
  accent: '#a5b4fc',
  'accent-fg': '#0f172a',
  'user-bg': '#1e293b',
  'code-bg': '#020617',
  'code-fg': '#e2e8f0',
  'code-bar-bg': '#1e293b',
  link: '#93c5fd',
  error: '#fca5a5',
  'input-bg': '#020617',
  'stop-bg': '#334155',
  'stop-fg': '#e2e8f0',
  'status-fg': '#94a3b8',
  focus: '#60a5fa',
};

const vars = (palette: typeof light, scheme: string) =>
  unsafeCSS(
    Object.entries(palette)
      .map(([name, value]) => `--llc-${name}: ${value};`)
      .join(' ') + ` color-scheme: ${scheme};`,
  );

export const themeStyles = css`
  :host {
    ${vars(light, 'light')}
  }
  :host([theme='dark']) {
    ${vars(dark, 'dark')}
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${vars(dark, 'dark')}
    }
  }
`;

/**
 * The demo page: one <llc-chat> against the relay that served this page, plus a line of live latency figures.
 * `?user=…&conversation=…` opens a given conversation as a given dev user (the page links the seeded
 * 10,000-message one); they are set before the element upgrades, so it connects as that user right away.
 */
import type { LlcChat } from '@locallightchat/elements';

const chat = document.querySelector<LlcChat>('#chat')!;
const params = new URLSearchParams(location.search);
for (const name of ['user', 'conversation'] as const) {
  const value = params.get(name);
  if (value) chat.setAttribute(name, value);
}
document.querySelector<HTMLAnchorElement>('#sample-history')!.hidden = params.has('conversation');
document.querySelector<HTMLAnchorElement>('#own-conversation')!.hidden = !params.has('conversation');
await import('@locallightchat/elements');
const stats = document.querySelector<HTMLOutputElement>('#stats')!;

document.querySelector('#new-conversation')!.addEventListener('click', () => {
  if (params.has('conversation')) location.href = '/';
  else chat.newConversation();
});

chat.client?.addEventListener('stream-end', (event) => {
  const m = event.detail.metrics;
  const parts = [
    m.ttftMs !== undefined ? `TTFT ${Math.round(m.ttftMs)} ms` : '',
    m.tpotMs !== undefined ? `TPOT ${m.tpotMs.toFixed(1)} ms` : '',
    m.completionTokens !== undefined ? `${m.completionTokens} tokens` : '',
  ].filter(Boolean);
  stats.value = parts.join(' · ');
});

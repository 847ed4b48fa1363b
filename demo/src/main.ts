/**
 * The demo page: one <llc-chat> against the relay that served this page, plus a line of live latency figures.
 */
import '@locallightchat/elements';
import type { LlcChat } from '@locallightchat/elements';
import type { StreamMetrics } from '@locallightchat/client';

const chat = document.querySelector<LlcChat>('#chat')!;
const stats = document.querySelector<HTMLOutputElement>('#stats')!;

document.querySelector('#new-conversation')!.addEventListener('click', () => chat.newConversation());

chat.client?.addEventListener('stream-end', (event) => {
  const m = (event as CustomEvent<{ metrics: StreamMetrics }>).detail.metrics;
  const parts = [
    m.ttftMs !== undefined ? `TTFT ${Math.round(m.ttftMs)} ms` : '',
    m.tpotMs !== undefined ? `TPOT ${m.tpotMs.toFixed(1)} ms` : '',
    m.completionTokens !== undefined ? `${m.completionTokens} tokens` : '',
  ].filter(Boolean);
  stats.value = parts.join(' · ');
});

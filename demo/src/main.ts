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

/**
 * The app side of tool calls: the reader approves or denies a call; the page "runs" the demo's get_weather (a
 * made-up answer) once per call id and shows the outcome through `toolStates`; when every call of the answer has
 * one, the results go back into the conversation (`client.sendToolResults`) and the model's next answer streams.
 * Outcomes are kept in this browser until the stored results come back from the relay (then those are shown),
 * so a reload never runs or asks twice.
 */
const TOOL_KEY = 'llc-demo-tool-outcomes';
const outcomes = new Map<string, { status: 'running' | 'done' | 'error' | 'denied'; result?: string }>(
  JSON.parse(localStorage.getItem(TOOL_KEY) ?? '[]') as [string, { status: 'done'; result?: string }][],
);
const showOutcomes = () => {
  localStorage.setItem(TOOL_KEY, JSON.stringify([...outcomes].filter(([, o]) => o.status !== 'running')));
  chat.toolStates = new Map(outcomes);
};
showOutcomes();
/** Once every call of the answer has an outcome, the results go back into the conversation: the model continues. */
function sendResultsWhenComplete(messageKey: string): void {
  const client = chat.client;
  const conversationId = chat.conversationId;
  if (!client || !conversationId) return;
  const answer = client.snapshot(conversationId).messages.find((m) => m.key === messageKey);
  const calls = answer?.toolCalls ?? [];
  const done = calls.map((c) => [c, outcomes.get(c.id)] as const);
  if (calls.length === 0 || done.some(([, o]) => !o || o.status === 'running')) return;
  client.sendToolResults(
    conversationId,
    messageKey,
    done.map(([c, o]) => ({
      toolCallId: c.id,
      content: o!.status === 'denied' ? 'The user denied this call.' : (o!.result ?? ''),
      ...(o!.status === 'done' ? {} : { isError: true }),
    })),
  );
}

chat.addEventListener('llc-tool-decision', (event) => {
  const { id, name, args, decision, messageKey } = event.detail;
  if (outcomes.has(id)) return;
  if (decision === 'deny') {
    outcomes.set(id, { status: 'denied' });
    showOutcomes();
    return sendResultsWhenComplete(messageKey);
  }
  outcomes.set(id, { status: 'running' });
  showOutcomes();
  setTimeout(() => {
    let city = '';
    try {
      const parsed = JSON.parse(args) as { city?: unknown };
      city = typeof parsed.city === 'string' ? parsed.city : '';
    } catch {
      outcomes.set(id, { status: 'error', result: 'the arguments are not JSON' });
      showOutcomes();
      return sendResultsWhenComplete(messageKey);
    }
    const result = name === 'get_weather' ? { city, temp_c: 21, sky: 'clear', note: 'made up by the demo page' } : {};
    outcomes.set(id, { status: 'done', result: JSON.stringify(result) });
    showOutcomes();
    sendResultsWhenComplete(messageKey);
  }, 400);
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

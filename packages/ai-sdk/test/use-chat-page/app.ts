/**
 * A small `useChat` app (real `ai`, `@ai-sdk/react`, React) whose only LocalLightChat part is its transport:
 * what e2e/ai-sdk-use-chat.e2e.ts bundles with esbuild and drives in Chromium. Plain `createElement`, so the
 * test type-check covers it without a JSX setup.
 */
import { useChat } from '@ai-sdk/react';
import { LlcChatTransport } from '@locallightchat/ai-sdk';
import { tokenFromEndpoint } from '@locallightchat/client';
import type { UIMessage } from 'ai';
import { createElement as h, useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';

const chatId = new URLSearchParams(location.search).get('chat') ?? 'e2e_chat';
const transport = new LlcChatTransport({
  clientOptions: {
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    getToken: tokenFromEndpoint('/auth/dev-token', { body: { user: 'e2e-ai-sdk' } }),
  },
});
/** What the test reads: every status useChat went through on this page, and the transport. */
const probe = { statuses: [] as string[], transport };
(globalThis as { __chat?: typeof probe }).__chat = probe;

const textOf = (m: UIMessage) => m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');

function Chat({ initial }: { initial: UIMessage[] }) {
  const { messages, sendMessage, status, stop } = useChat({ id: chatId, messages: initial, transport, resume: true });
  const [input, setInput] = useState('');
  useEffect(() => void probe.statuses.push(status), [status]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void sendMessage({ text: input });
    setInput('');
  };
  return h(
    'main',
    null,
    h('p', { 'data-testid': 'status' }, status),
    h(
      'ol',
      null,
      messages.map((m) => h('li', { key: m.id, 'data-role': m.role, 'data-id': m.id }, textOf(m))),
    ),
    h(
      'form',
      { onSubmit: submit },
      h('input', { 'aria-label': 'Message', value: input, onChange: (e) => setInput(e.currentTarget.value) }),
      h('button', { type: 'submit' }, 'Send'),
      h('button', { type: 'button', onClick: () => void stop() }, 'Stop'),
    ),
  );
}

const initial = await transport.loadMessages(chatId);
createRoot(document.getElementById('root')!).render(h(Chat, { initial }));

'use client';
import { useEffect, useRef, useState } from 'react';
import type { LlcChat, LlcElementEventMap } from '@locallightchat/elements';
// Types <llc-chat> and its parts in JSX (React's IntrinsicElements, generated from the custom-elements manifest).
import type {} from '@locallightchat/elements/jsx';

/**
 * The chat, server-rendered as a plain `<llc-chat>` tag. The elements need the browser (custom elements, workers,
 * IndexedDB), so their module is imported on the client only, after hydration: the element then upgrades in place
 * and nothing React hydrated changes under it.
 *
 * The `llc-send` listener is added in the effect too: an `onllc-send` prop works when React renders the element
 * on the client, but was not attached to server-rendered HTML that React hydrated (seen with Next.js 16.5 and
 * React 19.2: the handler never ran).
 */
export function Chat({ relayUrl }: { relayUrl: string }) {
  const [sent, setSent] = useState(0);
  const chat = useRef<LlcChat>(null);
  useEffect(() => {
    void import('@locallightchat/elements');
    const element = chat.current;
    if (!element) return;
    const onSend = (event: LlcElementEventMap['llc-send']) => {
      if (event.detail.text.length > 0) setSent((n) => n + 1);
    };
    element.addEventListener('llc-send', onSend);
    return () => element.removeEventListener('llc-send', onSend);
  }, []);
  return (
    <>
      <p data-testid="sent-count">Sent: {sent}</p>
      <llc-chat
        ref={chat}
        relay-url={relayUrl}
        token-url="/api/llc-token"
        style={{ display: 'block', height: '80vh' }}
      />
    </>
  );
}

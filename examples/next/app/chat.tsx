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
 * The `llc-send` listener is added in the effect too, not as an `onllc-send` prop: React 19 attaches a custom
 * element's `on<event>` props when it creates the element on the client (`setInitialProperties` →
 * `setPropOnCustomElement`), but not when it hydrates server-rendered HTML (react-dom 19.2–19.3's
 * `prepareToHydrateHostInstance` has no case for custom elements), so the listener is missing until the
 * component renders again. That is React's bug, not Next's: react/react#35446 (open; fix proposed in
 * react/react#35474), reported for Next as vercel/next.js#84091; seen here with Next.js 16.5 and React 19.2.
 * Once React attaches them, `<llc-chat onllc-send={…}>` can replace the effect's listener.
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

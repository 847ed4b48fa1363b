import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { LlcChat, type SendEventDetail } from '@locallightchat/react';

function App() {
  const [sent, setSent] = useState<SendEventDetail[]>([]);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif' }}>
      <p data-testid="sent-count">Sent: {sent.length}</p>
      <LlcChat
        // `dev` + the relay's dev token endpoint (llc-relay --dev); in production your endpoint (docs/auth.md).
        dev
        tokenUrl="/auth/dev-token"
        style={{ display: 'block', height: '85vh' }}
        onSend={(event) => setSent((all) => [...all, event.detail])}
      />
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

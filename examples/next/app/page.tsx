import { Chat } from './chat';

// Rendered on the server for each request: the relay's address comes from this server's environment.
export const dynamic = 'force-dynamic';

export default function Page() {
  const relay = process.env.LLC_RELAY ?? 'http://localhost:8787';
  return (
    <main>
      <h1>LocalLightChat in Next.js</h1>
      <Chat relayUrl={`${relay.replace(/^http/, 'ws')}/ws`} />
    </main>
  );
}

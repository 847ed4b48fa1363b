/**
 * The token endpoint `<llc-chat token-url>` posts to. This sample asks the relay's dev-token route (a relay
 * started with `--dev`) for a fixed user; a real one signs a token for the user of its own session: see
 * docs/auth.md (a Next route handler signing with `jose`).
 */
export async function POST(): Promise<Response> {
  const relay = process.env.LLC_RELAY ?? 'http://localhost:8787';
  const answer = await fetch(`${relay}/auth/dev-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'next-example' }),
  });
  return new Response(answer.body, {
    status: answer.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

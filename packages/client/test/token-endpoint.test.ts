/**
 * tokenFromEndpoint against a real HTTP endpoint: what the request carries (JSON content type kept when the
 * caller adds headers such as a CSRF token, in any HeadersInit form; the body; credentials), and caching.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tokenFromEndpoint } from '@locallightchat/client';

interface Seen {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let url: string;
const seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      // What a JSON endpoint does: only a JSON body is parsed (a form post gets no token).
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(415).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `t${seen.length}`, expiresAt: Date.now() + 3_600_000 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/llc-token`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('tokenFromEndpoint', () => {
  it('keeps content-type: application/json when custom headers are passed (object, Headers, pairs)', async () => {
    const forms: HeadersInit[] = [
      { 'x-csrf-token': 'c1' },
      new Headers({ 'X-CSRF-Token': 'c2' }),
      [['x-csrf-token', 'c3']],
    ];
    for (const [i, headers] of forms.entries()) {
      const from = seen.length;
      const token = await tokenFromEndpoint(url, { body: { conversation: 'c_1' }, init: { headers } })();
      assert.equal(token, `t${from + 1}`, 'the endpoint parsed the body as JSON and answered');
      const request = seen[from]!;
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['x-csrf-token'], `c${i + 1}`);
      assert.deepEqual(JSON.parse(request.body), { conversation: 'c_1' });
    }
  });

  it('lets the caller name another content type, and posts {} without a body', async () => {
    const from = seen.length;
    await assert.rejects(
      tokenFromEndpoint(url, { init: { headers: { 'content-type': 'text/plain' } } })(),
      /token endpoint answered 415/,
    );
    assert.equal(seen[from]!.headers['content-type'], 'text/plain');
    await tokenFromEndpoint(url)();
    assert.equal(seen[from + 1]!.body, '{}');
    assert.equal(seen[from + 1]!.headers['content-type'], 'application/json');
  });

  it('caches a token until shortly before its expiry, and fetches a fresh one when the relay refused it', async () => {
    const getToken = tokenFromEndpoint(url);
    const first = await getToken();
    assert.equal(await getToken(), first, 'cached');
    const refreshed = await getToken({ reason: 'refused' });
    assert.notEqual(refreshed, first);
  });
});

/**
 * Authentication with real keys and a real JWKS endpoint: HS256, RS256, ES256, issuer/audience, expiry, the
 * algorithm-confusion attack, production refusal, and credential refresh on a live connection.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { CloseCode, newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack } from '@locallightchat/test-support/stack';
import { AuthConfigError, AuthError, Authenticator } from '@locallightchat/relay';
import { hs256Key, verifyHs256 } from '@locallightchat/relay/internal';
import { jwtVerify, errors as joseErrors, base64url } from 'jose';

const SECRET = 'a-shared-secret-that-is-long-enough-1234';

function sign(
  key: CryptoKey | Uint8Array,
  alg: string,
  claims: { sub?: string; iss?: string; aud?: string; exp?: string | number; kid?: string } = {},
) {
  let jwt = new SignJWT({}).setProtectedHeader({ alg, ...(claims.kid ? { kid: claims.kid } : {}) }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.iss) jwt = jwt.setIssuer(claims.iss);
  if (claims.aud) jwt = jwt.setAudience(claims.aud);
  jwt = jwt.setExpirationTime(claims.exp ?? '5m');
  return jwt.sign(key);
}

async function rejects(auth: Authenticator, token: Promise<string>, code: 'unauthorized' | 'token-expired') {
  await assert.rejects(auth.verify(await token), (e: unknown) => e instanceof AuthError && e.code === code);
}

describe('auth: keys and claims', () => {
  const secret = new TextEncoder().encode(SECRET);

  it('accepts HS256 tokens signed with the secret; sub is the user', async () => {
    const auth = await Authenticator.create({ mode: 'jwt', secret: SECRET });
    const principal = await auth.verify(await sign(secret, 'HS256', { sub: 'alice' }));
    assert.equal(principal.userId, 'alice');
    assert.ok(principal.expiresAt! > Date.now());
    await rejects(
      auth,
      sign(new TextEncoder().encode('another-secret-that-is-long-enough-0000'), 'HS256', { sub: 'alice' }),
      'unauthorized',
    );
    await rejects(auth, sign(secret, 'HS256', {}), 'unauthorized'); // no sub
    await rejects(
      auth,
      sign(secret, 'HS256', { sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 }),
      'token-expired',
    );
  });

  it('checks issuer and audience', async () => {
    const auth = await Authenticator.create({
      mode: 'jwt',
      secret: SECRET,
      issuer: 'https://id.example',
      audience: 'llc',
    });
    assert.equal(
      (await auth.verify(await sign(secret, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'llc' }))).userId,
      'a',
    );
    await rejects(auth, sign(secret, 'HS256', { sub: 'a', iss: 'https://evil.example', aud: 'llc' }), 'unauthorized');
    await rejects(auth, sign(secret, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'other' }), 'unauthorized');
  });

  it('verifies RS256 and ES256 with PEM public keys, and refuses HS256 tokens keyed with the public key', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const pem = await exportSPKI(publicKey);
      const auth = await Authenticator.create({ mode: 'jwt', publicKey: pem });
      assert.equal((await auth.verify(await sign(privateKey, alg, { sub: `user-${alg}` }))).userId, `user-${alg}`);
      // Algorithm confusion: an attacker signs HS256 with the (public) PEM text as the HMAC secret.
      await rejects(auth, sign(new TextEncoder().encode(pem), 'HS256', { sub: 'mallory' }), 'unauthorized');
      const other = await generateKeyPair(alg);
      await rejects(auth, sign(other.privateKey, alg, { sub: 'mallory' }), 'unauthorized');
    }
  });

  describe('JWKS', () => {
    let server: Server;
    let url: string;
    let rsa: CryptoKeyPair;
    let ec: CryptoKeyPair;
    before(async () => {
      rsa = await generateKeyPair('RS256', { extractable: true });
      ec = await generateKeyPair('ES256', { extractable: true });
      const keys = [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ];
      server = createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("verifies tokens against the identity provider's key set by kid", async () => {
      const auth = await Authenticator.create({ mode: 'jwt', jwksUrl: url });
      assert.equal((await auth.verify(await sign(rsa.privateKey, 'RS256', { sub: 'r', kid: 'rsa-1' }))).userId, 'r');
      assert.equal((await auth.verify(await sign(ec.privateKey, 'ES256', { sub: 'e', kid: 'ec-1' }))).userId, 'e');
      const stranger = await generateKeyPair('RS256');
      await rejects(auth, sign(stranger.privateKey, 'RS256', { sub: 'x', kid: 'rsa-1' }), 'unauthorized');
    });
  });

  it('refuses production configurations without keys, and with a weak secret', async () => {
    await assert.rejects(Authenticator.create({ mode: 'jwt' }), AuthConfigError);
    await assert.rejects(Authenticator.create({ mode: 'jwt', secret: 'short' }), AuthConfigError);
  });
});

describe('auth: the node:crypto HS256 fast path agrees with jose', () => {
  it('accepts and refuses exactly what jose accepts and refuses', async () => {
    const key = new TextEncoder().encode(SECRET);
    const other = new TextEncoder().encode('another-secret-that-is-long-enough-0000');
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => base64url.encode(JSON.stringify(o));
    const valid = await sign(key, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'llc' });
    const [h, p] = valid.split('.');
    const cases: Record<string, string> = {
      valid,
      'audience array': await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a')
        .setIssuer('https://id.example')
        .setAudience(['x', 'llc'])
        .sign(key),
      expired: await sign(key, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'llc', exp: now - 60 }),
      'within tolerance': await sign(key, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'llc', exp: now - 2 }),
      'not yet valid': await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a')
        .setIssuer('https://id.example')
        .setAudience('llc')
        .setNotBefore(now + 120)
        .sign(key),
      'wrong issuer': await sign(key, 'HS256', { sub: 'a', iss: 'https://evil.example', aud: 'llc' }),
      'wrong audience': await sign(key, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'x' }),
      'other key': await sign(other, 'HS256', { sub: 'a', iss: 'https://id.example', aud: 'llc' }),
      'tampered payload': `${h}.${b64({ sub: 'admin', iss: 'https://id.example', aud: 'llc' })}.${valid.split('.')[2]}`,
      'tampered signature': `${h}.${p}.${base64url.encode(new Uint8Array(32))}`,
      'alg none': `${b64({ alg: 'none' })}.${p}.`,
      'crit header': await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', crit: ['x'], x: 1 })
        .setSubject('a')
        .sign(key)
        .catch(() => `${b64({ alg: 'HS256', crit: ['x'] })}.${p}.x`),
      'string exp': `${b64({ alg: 'HS256' })}.${b64({ sub: 'a', exp: 'soon' })}.x`,
      garbage: 'not.a.jwt',
    };
    const rules = { issuer: 'https://id.example', audience: 'llc', clockToleranceSec: 5 };
    for (const [name, token] of Object.entries(cases)) {
      const jose = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: rules.issuer,
        audience: rules.audience,
        clockTolerance: 5,
      }).then(
        () => 'valid',
        (e: unknown) => (e instanceof joseErrors.JWTExpired ? 'expired' : 'invalid'),
      );
      const fast = verifyHs256(token, key, rules);
      const ours = fast.kind === 'not-hs256' ? 'invalid (left to jose)' : fast.kind;
      assert.equal(ours.startsWith(jose), true, `${name}: jose says ${jose}, the fast path ${ours}`);
      // The key imported once (as the Authenticator keeps it) decides the same, and so does a second look at
      // a header it has seen (the verdicts on header texts are remembered).
      for (let i = 0; i < 2; i++) assert.equal(verifyHs256(token, hs256Key(key), rules).kind, fast.kind, name);
    }
  });

  it('accepts only the canonical base64url text of the signature (one signature, one token)', async () => {
    const key = new TextEncoder().encode(SECRET);
    const valid = await sign(key, 'HS256', { sub: 'a' });
    const rules = { clockToleranceSec: 5 };
    assert.equal(verifyHs256(valid, key, rules).kind, 'valid');
    const signature = valid.split('.')[2]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 32 bytes are 43 characters whose last one carries 2 unused bits: flipping one decodes to the same bytes.
    const last = alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]!;
    const forms = {
      padded: `${valid}=`,
      'unused bits set': `${valid.slice(0, -1)}${last}`,
      'standard alphabet': valid.replace(/-/g, '+').replace(/_/g, '/'),
      'junk appended': `${valid}!`,
      'junk inside': `${valid.slice(0, -10)}.${valid.slice(-10)}`,
      truncated: valid.slice(0, -1),
    };
    for (const [name, token] of Object.entries(forms)) {
      if (token === valid) continue; // no `-`/`_` in this signature to swap
      assert.notEqual(verifyHs256(token, key, rules).kind, 'valid', name);
      assert.notEqual(verifyHs256(token, hs256Key(key), rules).kind, 'valid', name);
    }
  });
});

describe('auth: refresh on a live connection', () => {
  it('warns before expiry, accepts a refreshed token without dropping the socket, and closes one that is not refreshed', async () => {
    const stack = await startTestStack({ auth: { devTokenTtlSec: 3 }, relay: { authRefreshLeadMs: 2000 } });
    try {
      const [refreshing, idle] = await Promise.all([
        ProtocolClient.connect(stack.wsUrl, await stack.token('alice')),
        ProtocolClient.connect(stack.wsUrl, await stack.token('bob')),
      ]);
      const warning = await refreshing.next('auth-expiring', 0, 5000);
      assert.ok(warning.expiresAt > Date.now());
      refreshing.send({ type: 'auth', token: (await stack.stack.auth.mintDevToken('alice')).token });
      // A token for someone else is refused, and the connection keeps its user.
      const from = refreshing.frames.length;
      refreshing.send({ type: 'auth', token: (await stack.stack.auth.mintDevToken('mallory')).token });
      assert.equal((await refreshing.next('error', from)).code, 'forbidden');

      const expired = await idle.next('error', 0, 8000);
      assert.equal(expired.code, 'token-expired');
      await idle.until(() => idle.closeCode !== undefined, 'close of the expired connection');
      assert.equal(idle.closeCode, CloseCode.Unauthorized);

      // Past the first token's expiry, the refreshed connection still works.
      assert.ok(Date.now() > warning.expiresAt);
      const mark = refreshing.frames.length;
      refreshing.send({ type: 'subscribe', conversationId: newId('c_') });
      await refreshing.next('subscribed', mark);
      assert.ok(refreshing.isOpen);
      await refreshing.close();
    } finally {
      await stack.close();
    }
  });
});

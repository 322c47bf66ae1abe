import test from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { signToken, TokenInvalidError, TokenKey, verifyToken } from './jwt.js';

const key = TokenKey.generate();
const now = 1_700_000_000;
const claims = { iss: 'berth', sub: 'alice', aud: 'registry', iat: now, nbf: now, exp: now + 300, access: [{ type: 'repository', name: 'a', actions: ['pull'] }] };
const expect = { issuer: 'berth', audience: 'registry', nowSeconds: now + 10 };

test('a signed token verifies and carries its claims', () => {
  const t = signToken(key, claims);
  const got = verifyToken(key, t, expect);
  assert.equal(got.sub, 'alice');
  assert.deepEqual(got.access, claims.access);
  assert.match(got.jti, /^[0-9a-f]{24}$/);
  // The key survives a PEM round trip and still verifies tokens signed before.
  assert.equal(verifyToken(TokenKey.fromPem(key.toPem()), t, expect).sub, 'alice');
});

test('verifyToken refuses tampering, other keys, issuers, audiences, expiry and alg none', () => {
  const t = signToken(key, claims);
  const rejects = (tok: string, e: Partial<typeof expect>, why: RegExp) =>
    assert.throws(() => verifyToken(key, tok, { ...expect, ...e }), (err: unknown) => err instanceof TokenInvalidError && why.test(err.message));
  const [h, , s] = t.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'a', actions: ['*'] }] })).toString('base64url');
  rejects(`${h}.${forged}.${s}`, {}, /signature/);
  assert.throws(() => verifyToken(TokenKey.generate(), t, expect), /signature/);
  rejects(t, { issuer: 'other' }, /issuer/);
  rejects(t, { audience: 'other' }, /service/);
  rejects(t, { nowSeconds: now + 300 + 61 }, /expired/);
  rejects(t, { nowSeconds: now - 61 }, /not valid yet/);
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${t.split('.')[1]}.`;
  rejects(none, {}, /algorithm/);
  rejects('a.b', {}, /malformed/);
  rejects('!!.!!.!!', {}, /malformed/);
});

test('TokenKey.fromPem refuses keys other than P-256', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  assert.throws(() => TokenKey.fromPem(rsa), /P-256/);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { Htpasswd, HtpasswdError, parseHtpasswd } from './htpasswd.js';

const hash = bcrypt.hashSync('s3cret', 4);

test('parseHtpasswd reads bcrypt entries and skips comments and blank lines', () => {
  const users = parseHtpasswd(`# users\n\nalice:${hash}\r\nbob:${hash.replace('$2b$', '$2y$')}\n`);
  assert.deepEqual([...users.keys()], ['alice', 'bob']);
});

test('parseHtpasswd refuses lines without a bcrypt hash, naming the line', () => {
  assert.throws(() => parseHtpasswd('alice:{SHA}abc'), (e: unknown) => e instanceof HtpasswdError && /line 1/.test(e.message) && /bcrypt/.test(e.message));
  assert.throws(() => parseHtpasswd(`ok:${hash}\nnocolon`), /line 2/);
});

test('Htpasswd verifies passwords ($2y$ too), remembers successes only, and forgets them after the cache time', async () => {
  let now = 0;
  const h = new Htpasswd(parseHtpasswd(`alice:${hash.replace('$2b$', '$2y$')}`), 1000, () => now);
  assert.equal(await h.verify('alice', 's3cret'), true);
  assert.equal(await h.verify('alice', 'wrong'), false);
  assert.equal(await h.verify('nobody', 's3cret'), false);
  assert.equal(await h.verify('alice', 's3cret'), true);
  now = 5000;
  assert.equal(await h.verify('alice', 's3cret'), true);
  assert.equal(await h.verify('alice', 'wrong'), false);
});

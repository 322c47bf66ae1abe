import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEnv, defaultPathEnv, replaceOrAppendEnv } from './default-env.js';

test('an image without PATH gets Docker\'s default PATH and HOSTNAME first', () => {
  assert.deepEqual(defaultEnv({ env: ['A=1'], hostname: 'abc123', tty: false }), [`PATH=${defaultPathEnv}`, 'HOSTNAME=abc123', 'A=1']);
  assert.equal(defaultPathEnv, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
});

test("the image's PATH and the user's HOSTNAME replace the defaults in place", () => {
  assert.deepEqual(defaultEnv({ env: ['HOSTNAME=mine', 'PATH=/bin'], hostname: 'h', tty: false }), ['PATH=/bin', 'HOSTNAME=mine']);
});

test('a TTY adds TERM=xterm unless the env sets TERM', () => {
  assert.deepEqual(defaultEnv({ env: [], hostname: 'h', tty: true }), [`PATH=${defaultPathEnv}`, 'HOSTNAME=h', 'TERM=xterm']);
  assert.deepEqual(defaultEnv({ env: ['TERM=vt100'], hostname: 'h', tty: true }).slice(2), ['TERM=vt100']);
  assert.ok(!defaultEnv({ env: [], hostname: 'h', tty: false }).some((e) => e.startsWith('TERM=')));
});

test('HOME from passwd is added only when the env has none', () => {
  assert.deepEqual(defaultEnv({ env: [], hostname: 'h', tty: false, home: '/root' }).at(-1), 'HOME=/root');
  const env = defaultEnv({ env: ['HOME=/srv'], hostname: 'h', tty: false, home: '/root' });
  assert.deepEqual(env.filter((e) => e.startsWith('HOME=')), ['HOME=/srv']);
  assert.ok(!defaultEnv({ env: [], hostname: 'h', tty: false }).some((e) => e.startsWith('HOME=')));
});

test('a name without = removes the variable', () => {
  assert.deepEqual(defaultEnv({ env: ['PATH', 'A=1'], hostname: 'h', tty: false }), ['HOSTNAME=h', 'A=1']);
});

test('replaceOrAppendEnv keeps order, appends new keys, and revives an unset key set again', () => {
  assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2', 'C=3'], ['B=20', 'D=4', 'C', 'E', 'A=']), ['A=', 'B=20', 'D=4']);
  assert.deepEqual(replaceOrAppendEnv(['A=1'], ['A', 'A=2']), ['A=2']);
  assert.deepEqual(replaceOrAppendEnv(['X=a=b'], ['X=c=d']), ['X=c=d']);
});

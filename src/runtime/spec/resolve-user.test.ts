import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { parseGroup, parsePasswd, resolveUser } from './resolve-user.js';

const passwd = [
  '# the accounts',
  'root:x:0:0:root:/root:/bin/sh',
  '',
  '  daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin  ',
  'app:x:1000:1000:App User:/home/app:/bin/sh',
  'nohome:x:1001:1001::',
  'short:x:1002',
  'app:x:2000:2000:shadowed duplicate:/nowhere:/bin/false',
  'bad:x:notanumber:alsobad:::',
].join('\n');

const group = [
  'root:x:0:',
  '# comment line',
  'wheel:x:10:root,app',
  'staff:x:50:app, daemon',
  'app:x:1000:',
  'docker:x:999:app',
  'empty',
  'other:x:1000:nobody',
].join('\n');

const files = { passwd, group };

test('parsers skip comments and blank lines and tolerate short lines', () => {
  const users = parsePasswd(passwd);
  assert.deepEqual(users.map((u) => u.name), ['root', 'daemon', 'app', 'nohome', 'short', 'app', 'bad']);
  assert.deepEqual(users.find((u) => u.name === 'short'), { name: 'short', uid: 1002, gid: 0, home: '', shell: '' });
  assert.equal(users.find((u) => u.name === 'bad')!.uid, 0);
  const groups = parseGroup(group);
  assert.deepEqual(groups.find((g) => g.name === 'staff')!.members, ['app', 'daemon']);
  assert.deepEqual(groups.find((g) => g.name === 'empty'), { name: 'empty', gid: 0, members: [] });
  assert.deepEqual(parsePasswd(null), []);
  assert.deepEqual(parseGroup('\r\n'), []);
});

test("'' is root with root's home and the groups listing root", () => {
  assert.deepEqual(resolveUser('', files), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
});

test("'' without a passwd file is 0:0 with home /", () => {
  assert.deepEqual(resolveUser('', { passwd: null, group: null }), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
});

test('a name takes uid, primary gid and home from passwd, and supplementary groups by membership', () => {
  assert.deepEqual(resolveUser('app', files), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50, 999], home: '/home/app' });
});

test('the first matching passwd entry wins', () => {
  assert.equal(resolveUser('app', files).uid, 1000);
});

test('a numeric uid with an entry behaves like its name', () => {
  assert.deepEqual(resolveUser('1000', files), resolveUser('app', files));
});

test('a numeric uid without an entry gets gid 0, home / and no supplementary groups', () => {
  assert.deepEqual(resolveUser('4242', files), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(resolveUser('4242', { passwd: null, group: null }), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
});

test('an unknown name is refused with Docker wording', () => {
  assert.throws(() => resolveUser('nobody2', files), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.message, 'unable to find user nobody2: no matching entries in passwd file');
    return true;
  });
  assert.throws(() => resolveUser('app', { passwd: null, group }), /unable to find user app: no matching entries in passwd file/);
});

test('name:group and uid:gid set the gid explicitly and drop membership groups', () => {
  assert.deepEqual(resolveUser('app:staff', files), { uid: 1000, gid: 50, additionalGids: [50], home: '/home/app' });
  assert.deepEqual(resolveUser('1000:999', files), { uid: 1000, gid: 999, additionalGids: [999], home: '/home/app' });
});

test('name:gid and uid:group mix the forms; a numeric gid need not exist', () => {
  assert.deepEqual(resolveUser('app:4321', files), { uid: 1000, gid: 4321, additionalGids: [4321], home: '/home/app' });
  assert.deepEqual(resolveUser('5555:wheel', files), { uid: 5555, gid: 10, additionalGids: [10], home: '/' });
  assert.deepEqual(resolveUser('0:0', { passwd: null, group: null }), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
});

test('an unknown group name is refused with Docker wording, also without a group file', () => {
  assert.throws(() => resolveUser('app:nogroup', files), /^InvalidArgumentError: unable to find group nogroup: no matching entries in group file$/);
  assert.throws(() => resolveUser('0:staff', { passwd, group: null }), /unable to find group staff: no matching entries in group file/);
});

test('a numeric group matches by gid first (first entry wins)', () => {
  assert.equal(resolveUser('root:1000', files).gid, 1000);
});

test('an empty home falls back to /', () => {
  assert.equal(resolveUser('nohome', files).home, '/');
});

test('ids outside 0..2^31-1 are refused', () => {
  assert.throws(() => resolveUser('2147483648', files), /uids and gids must be in range 0-2147483647/);
  assert.throws(() => resolveUser('-1', files), /uids and gids must be in range/);
  assert.throws(() => resolveUser('app:99999999999999999999', files), /uids and gids must be in range/);
  assert.equal(resolveUser('2147483647', files).uid, 2147483647);
});

test('extra colon fields are ignored, as in runc', () => {
  assert.deepEqual(resolveUser('app:staff:junk', files), resolveUser('app:staff', files));
});

test('groupAdd appends groups by name or number; names must exist', () => {
  assert.deepEqual(resolveUser('app:app', files, ['docker', '777', '10']).additionalGids, [1000, 999, 777, 10]);
  assert.throws(() => resolveUser('app', files, ['ghosts']), /unable to find group ghosts: no matching entries in group file/);
  assert.deepEqual(resolveUser('4242', { passwd: null, group: null }, ['5']).additionalGids, [0, 5]);
});

test('duplicate gids collapse, primary first', () => {
  const g = 'a:x:7:u\nb:x:7:u\nc:x:8:u';
  assert.deepEqual(resolveUser('u', { passwd: 'u:x:5:7::/home/u:', group: g }).additionalGids, [7, 8]);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { AccessPolicy, covers, defaultAccessRules, formatScope, parseScopes } from './scope.js';

test('parseScopes reads repository and registry scopes, several at once, and drops malformed ones', () => {
  assert.deepEqual(parseScopes('repository:a/b:pull,push'), [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]);
  assert.deepEqual(parseScopes(['repository:x:pull repository:y:push', 'registry:catalog:*']), [
    { type: 'repository', name: 'x', actions: ['pull'] },
    { type: 'repository', name: 'y', actions: ['push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  assert.deepEqual(parseScopes('repository:x:pull,pull'), [{ type: 'repository', name: 'x', actions: ['pull'] }]);
  assert.deepEqual(parseScopes('garbage repository::pull repository:x: :x:pull'), []);
  assert.equal(formatScope({ type: 'repository', name: 'a', actions: ['pull', 'push'] }), 'repository:a:pull,push');
});

test('AccessPolicy grants per account and repository glob, and only the actions the rules give', () => {
  const p = new AccessPolicy([
    { account: 'reader', name: '*', actions: ['pull'] },
    { account: 'writer', name: 'team/*', actions: ['pull', 'push'] },
    { account: 'admin', name: '*', actions: ['*'] },
    { account: 'admin', name: 'registry:catalog', actions: ['*'] },
    { account: 'anonymous', name: 'public/*', actions: ['pull'] },
  ]);
  const want = parseScopes('repository:team/app:pull,push,delete');
  assert.deepEqual(p.grant('reader', want), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  assert.deepEqual(p.grant('writer', want), [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  assert.deepEqual(p.grant('admin', want), [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }]);
  assert.deepEqual(p.grant('writer', parseScopes('repository:other:push')), []);
  assert.deepEqual(p.grant(undefined, parseScopes('repository:public/x:pull,push')), [{ type: 'repository', name: 'public/x', actions: ['pull'] }]);
  assert.deepEqual(p.grant(undefined, want), []);
  assert.deepEqual(p.grant('reader', parseScopes('registry:catalog:*')), []);
  assert.deepEqual(p.grant('admin', parseScopes('registry:catalog:*')), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  // A glob matches the whole name, with dots taken literally.
  assert.deepEqual(new AccessPolicy([{ account: '*', name: 'a.b', actions: ['pull'] }]).grant('u', parseScopes('repository:axb:pull')), []);
});

test('the default rules give any authenticated account everything and anonymous nothing', () => {
  const p = new AccessPolicy(defaultAccessRules);
  assert.deepEqual(p.grant('u', parseScopes('repository:a:pull,push')), [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
  assert.deepEqual(p.grant(undefined, parseScopes('repository:a:pull')), []);
});

test('covers checks every needed action against the granted access', () => {
  const granted = parseScopes('repository:a:pull,push repository:b:*');
  assert.equal(covers(granted, { type: 'repository', name: 'a', actions: ['pull'] }), true);
  assert.equal(covers(granted, { type: 'repository', name: 'a', actions: ['pull', 'push'] }), true);
  assert.equal(covers(granted, { type: 'repository', name: 'a', actions: ['delete'] }), false);
  assert.equal(covers(granted, { type: 'repository', name: 'b', actions: ['delete'] }), true);
  assert.equal(covers(granted, { type: 'repository', name: 'c', actions: ['pull'] }), false);
});

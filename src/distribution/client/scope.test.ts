import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeScopes, parseScope, repositoryScope } from './scope.js';

test('repositoryScope formats the token spec grammar', () => {
  assert.equal(repositoryScope('library/busybox', ['pull']), 'repository:library/busybox:pull');
  assert.equal(repositoryScope('a/b', ['pull', 'push']), 'repository:a/b:pull,push');
});

test('parseScope splits type, name (colons allowed) and actions; refuses malformed scopes', () => {
  assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.deepEqual(parseScope('repository(plugin):x:pull'), { type: 'repository(plugin)', name: 'x', actions: ['pull'] });
  assert.deepEqual(parseScope('repository:host:5000/app:pull'), { type: 'repository', name: 'host:5000/app', actions: ['pull'] });
  assert.throws(() => parseScope('nonsense'), /invalid token scope/);
  assert.throws(() => parseScope('repository::pull'), /invalid token scope/);
  assert.throws(() => parseScope(':a:pull'), /invalid token scope/);
});

test('mergeScopes unions actions per resource, sorts, and accepts space-separated challenge scopes', () => {
  assert.deepEqual(
    mergeScopes(['repository:b:push', 'repository:a:pull'], 'repository:b:pull repository:a:pull', undefined, ['odd']),
    ['odd', 'repository:a:pull', 'repository:b:pull,push'],
  );
  assert.deepEqual(mergeScopes(['repository:a:push,pull']), mergeScopes(['repository:a:pull', 'repository:a:push']));
  assert.deepEqual(mergeScopes([]), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRestart, nextBackoff, validateRestartPolicy } from './restart-policy.js';

test('shouldRestart follows each policy', () => {
  const f = { exitCode: 1, manuallyStopped: false, restartCount: 0 };
  assert.equal(shouldRestart({ Name: 'no' }, f), false);
  assert.equal(shouldRestart({ Name: 'always' }, { ...f, exitCode: 0 }), true);
  assert.equal(shouldRestart({ Name: 'always' }, { ...f, manuallyStopped: true }), false);
  assert.equal(shouldRestart({ Name: 'unless-stopped' }, f), true);
  assert.equal(shouldRestart({ Name: 'on-failure' }, { ...f, exitCode: 0 }), false);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 1 }), true);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 2 }), false);
  assert.equal(shouldRestart({ Name: 'on-failure' }, { ...f, restartCount: 99 }), true);
});

test('nextBackoff doubles up to a minute and resets after a long run', () => {
  assert.equal(nextBackoff(0, 0), 100);
  assert.equal(nextBackoff(100, 5), 200);
  assert.equal(nextBackoff(40_000, 5), 60_000);
  assert.equal(nextBackoff(60_000, 5), 60_000);
  assert.equal(nextBackoff(800, 10_000), 100);
});

test('validateRestartPolicy rejects unknown names and misplaced counts', () => {
  assert.deepEqual(validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => validateRestartPolicy({ Name: 'sometimes' as never }), /unknown policy/);
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }), /maximum retry count/);
});

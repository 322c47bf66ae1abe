import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { RLIM_INFINITY } from './oci-types.js';
import { parseUlimit, resolveRlimits, validateUlimit } from './rlimits.js';

test('nofile defaults to 1048576 when the host allows it', () => {
  assert.deepEqual(resolveRlimits({ hostNofileHardLimit: 1048576 }), [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
  assert.deepEqual(resolveRlimits({ hostNofileHardLimit: 4194304 }), [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
});

test('the nofile default is clamped to the host hard limit', () => {
  assert.deepEqual(resolveRlimits({ hostNofileHardLimit: 20000 }), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
});

test('a user nofile within the host limit replaces the default', () => {
  assert.deepEqual(resolveRlimits({ hostNofileHardLimit: 20000, ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }] }), [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
  ]);
});

test('a user nofile above the host limit is refused by default and clamped on request', () => {
  const ulimits = [{ name: 'nofile', soft: 1024, hard: 65536 }];
  assert.throws(() => resolveRlimits({ hostNofileHardLimit: 20000, ulimits }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /nofile=1024:65536: hard limit 65536 is above the daemon's own hard limit of 20000/);
    return true;
  });
  assert.deepEqual(resolveRlimits({ hostNofileHardLimit: 20000, ulimits, overHostLimit: 'clamp' }), [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 },
  ]);
  assert.deepEqual(
    resolveRlimits({ hostNofileHardLimit: 20000, ulimits: [{ name: 'nofile', soft: 50000, hard: 60000 }], overHostLimit: 'clamp' }),
    [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }],
  );
  assert.deepEqual(
    resolveRlimits({ hostNofileHardLimit: 20000, ulimits: [{ name: 'nofile', soft: -1, hard: -1 }], overHostLimit: 'clamp' }),
    [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }],
  );
  assert.throws(() => resolveRlimits({ hostNofileHardLimit: 20000, ulimits: [{ name: 'nofile', soft: -1, hard: -1 }] }), /hard limit unlimited/);
});

test('other ulimits pass through; -1 is RLIM_INFINITY; the last one for a name wins', () => {
  const r = resolveRlimits({
    hostNofileHardLimit: 20000,
    ulimits: [
      { name: 'core', soft: -1, hard: -1 },
      { name: 'nproc', soft: 10, hard: 20 },
      { name: 'nproc', soft: 30, hard: 40 },
      { name: 'memlock', soft: 64, hard: -1 },
    ],
  });
  assert.deepEqual(r, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
    { type: 'RLIMIT_NPROC', soft: 30, hard: 40 },
    { type: 'RLIMIT_MEMLOCK', soft: 64, hard: RLIM_INFINITY },
  ]);
});

test('validation follows Docker: known names, soft ≤ hard unless hard is unlimited', () => {
  assert.throws(() => validateUlimit({ name: 'as', soft: 1, hard: 1 }), /invalid ulimit type: as/);
  assert.throws(() => validateUlimit({ name: 'nofile', soft: 2048, hard: 1024 }), /ulimit soft limit must be less than or equal to hard limit: 2048 > 1024/);
  assert.throws(() => validateUlimit({ name: 'nofile', soft: -1, hard: 1024 }), /soft: -1 \(unlimited\), hard: 1024/);
  assert.throws(() => validateUlimit({ name: 'core', soft: -5, hard: -1 }), InvalidArgumentError);
  assert.throws(() => validateUlimit({ name: 'core', soft: 1.5, hard: 2 }), InvalidArgumentError);
  validateUlimit({ name: 'core', soft: 100, hard: -1 });
  assert.throws(() => resolveRlimits({ hostNofileHardLimit: 0 }), /invalid host nofile hard limit/);
});

test("parseUlimit reads Docker's --ulimit text", () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=512'), { name: 'nproc', soft: 512, hard: 512 });
  assert.deepEqual(parseUlimit('core=-1'), { name: 'core', soft: -1, hard: -1 });
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments - 1:2:3/);
  assert.throws(() => parseUlimit('nofile=abc'), InvalidArgumentError);
  assert.throws(() => parseUlimit('nofile=4096:1024'), /4096 > 1024/);
});

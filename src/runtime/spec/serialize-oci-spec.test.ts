import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciSpec } from './build-oci-spec.js';
import { defaultCapabilities } from './capabilities.js';
import { serializeOciSpec } from './serialize-oci-spec.js';

const spec = buildOciSpec({
  rootfs: '/r',
  readonlyRootfs: false,
  process: {
    args: ['echo', 'quote " and \\ and \u0001'],
    env: ['A=ü'],
    cwd: '/',
    terminal: false,
    user: { uid: 0, gid: 0, additionalGids: [0] },
    noNewPrivileges: true,
    capabilities: defaultCapabilities,
  },
  hostname: 'h',
  namespaces: { network: { mode: 'private' } },
  cgroupVersion: 1,
  cgroupsPath: '/berth/x',
  hostNofileHardLimit: 20000,
  ulimits: [{ name: 'core', soft: -1, hard: -1 }],
});

test('serializeOciSpec writes RLIM_INFINITY as the exact uint64', () => {
  const text = serializeOciSpec(spec);
  assert.match(text, /"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615/);
  assert.throws(() => JSON.stringify(spec), TypeError);
});

test('apart from bigints it writes what JSON.stringify writes', () => {
  const plain = { ...spec, process: { ...spec.process, rlimits: [] } };
  assert.equal(serializeOciSpec(plain), JSON.stringify(plain));
  const parsed = JSON.parse(serializeOciSpec(spec)) as { process: { args: string[]; env: string[] } };
  assert.deepEqual(parsed.process.args, spec.process.args);
  assert.deepEqual(parsed.process.env, ['A=ü']);
});

test('undefined fields are left out and non-finite numbers refused', () => {
  const odd = { ...spec, hostname: undefined } as unknown as typeof spec;
  assert.ok(!serializeOciSpec(odd).includes('"hostname"'));
  const bad = { ...spec, process: { ...spec.process, oomScoreAdj: Number.NaN } };
  assert.throws(() => serializeOciSpec(bad), TypeError);
});

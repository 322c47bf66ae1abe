import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import {
  capabilitiesFromMask,
  capabilityMask,
  defaultCapabilities,
  knownCapabilities,
  normalizeCapabilities,
  resolveCapabilities,
} from './capabilities.js';

test('the kernel list runs from CAP_CHOWN (bit 0) to CAP_CHECKPOINT_RESTORE (bit 40)', () => {
  assert.equal(knownCapabilities.length, 41);
  assert.equal(knownCapabilities[0], 'CAP_CHOWN');
  assert.equal(knownCapabilities[21], 'CAP_SYS_ADMIN');
  assert.equal(knownCapabilities[24], 'CAP_SYS_RESOURCE');
  assert.equal(knownCapabilities[40], 'CAP_CHECKPOINT_RESTORE');
  assert.equal(new Set(knownCapabilities).size, 41);
});

test("Docker's default set has the mask a default Docker container shows in CapEff", () => {
  assert.equal(defaultCapabilities.length, 14);
  assert.equal(capabilityMask(defaultCapabilities), 0xa80425fbn);
  assert.deepEqual(new Set(capabilitiesFromMask('00000000a80425fb')), new Set(defaultCapabilities));
});

test('no add and no drop gives the defaults in order', () => {
  assert.deepEqual(resolveCapabilities({}), [...defaultCapabilities]);
  assert.deepEqual(resolveCapabilities({ capAdd: null, capDrop: [] }), [...defaultCapabilities]);
});

test('names are accepted with or without CAP_, in any case', () => {
  assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_sys_time', 'Cap_Kill', 'all']), ['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'CAP_KILL', 'ALL']);
  const caps = resolveCapabilities({ capAdd: ['net_admin'], capDrop: ['cap_chown', 'Mknod'] });
  assert.ok(caps.includes('CAP_NET_ADMIN'));
  assert.ok(!caps.includes('CAP_CHOWN'));
  assert.ok(!caps.includes('CAP_MKNOD'));
  assert.equal(caps.at(-1), 'CAP_NET_ADMIN');
  assert.equal(caps.length, 13);
});

test('an unknown capability is an InvalidArgumentError with Docker wording', () => {
  assert.throws(() => resolveCapabilities({ capAdd: ['foo'] }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.message, 'unknown capability: "CAP_FOO"');
    return true;
  });
  assert.throws(() => resolveCapabilities({ capDrop: ['CAP_BAR'] }), /unknown capability: "CAP_BAR"/);
});

test('a known capability the host cannot grant is refused when the available set is given', () => {
  const available = knownCapabilities.filter((c) => c !== 'CAP_SYS_RESOURCE');
  assert.throws(
    () => resolveCapabilities({ capAdd: ['SYS_RESOURCE'], available }),
    /capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"/,
  );
  assert.ok(!resolveCapabilities({ capAdd: ['ALL'], available }).includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(resolveCapabilities({ privileged: true, available }), available);
});

test('ALL in capAdd gives everything except the drops', () => {
  const caps = resolveCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN', 'net_raw'] });
  assert.equal(caps.length, 39);
  assert.ok(!caps.includes('CAP_SYS_ADMIN'));
  assert.ok(!caps.includes('CAP_NET_RAW'));
  assert.ok(caps.includes('CAP_BPF'));
});

test('ALL in capDrop leaves exactly the adds', () => {
  assert.deepEqual(resolveCapabilities({ capDrop: ['ALL'] }), []);
  assert.deepEqual(resolveCapabilities({ capDrop: ['all'], capAdd: ['chown', 'NET_BIND_SERVICE'] }), ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']);
});

test('adding wins over dropping the same capability, and duplicates collapse', () => {
  const caps = resolveCapabilities({ capAdd: ['CHOWN', 'CHOWN', 'kill'], capDrop: ['CHOWN'] });
  assert.equal(caps.filter((c) => c === 'CAP_CHOWN').length, 1);
  assert.equal(caps.filter((c) => c === 'CAP_KILL').length, 1);
  assert.equal(caps.length, 14);
});

test('privileged means every known capability, in bit order', () => {
  assert.deepEqual(resolveCapabilities({ privileged: true, capDrop: ['ALL'] }), [...knownCapabilities]);
});

test('masks round-trip and ignore unknown bits', () => {
  assert.deepEqual(capabilitiesFromMask(capabilityMask(['CAP_KILL', 'CAP_BPF'])), ['CAP_KILL', 'CAP_BPF']);
  assert.deepEqual(capabilitiesFromMask(1n << 60n), []);
  assert.deepEqual(capabilitiesFromMask('0x1'), ['CAP_CHOWN']);
  assert.deepEqual(capabilitiesFromMask(''), []);
  assert.throws(() => capabilityMask(['CAP_NOPE']), InvalidArgumentError);
});

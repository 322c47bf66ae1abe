import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { validateSysctls } from './sysctls.js';

const own = { network: true, ipc: true, uts: true };

test('namespaced sysctls pass through', () => {
  const s = {
    'net.ipv4.ip_forward': '1',
    'net.core.somaxconn': '1024',
    'kernel.shmmax': '68719476736',
    'kernel.msgmax': '65536',
    'kernel.sem': '250 32000 100 128',
    'kernel.shm_rmid_forced': '1',
    'fs.mqueue.msg_max': '100',
    'kernel.domainname': 'example.org',
  };
  assert.deepEqual(validateSysctls(s, own), s);
});

test('slash separators are normalized to dots', () => {
  assert.deepEqual(validateSysctls({ 'net/ipv4/ip_forward': '1' }, own), { 'net.ipv4.ip_forward': '1' });
});

test('host-global sysctls are refused with runc wording', () => {
  assert.throws(() => validateSysctls({ 'vm.max_map_count': '262144' }, own), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.message, 'sysctl "vm.max_map_count" is not in a separate kernel namespace');
    return true;
  });
  assert.throws(() => validateSysctls({ 'kernel.pid_max': '1' }, own), /not in a separate kernel namespace/);
  assert.throws(() => validateSysctls({ 'fs.file-max': '1' }, own), /not in a separate kernel namespace/);
  assert.throws(() => validateSysctls({ 'kernel.shmfoo': '1' }, own), /not in a separate kernel namespace/);
});

test('net.* is refused with the host network', () => {
  assert.throws(
    () => validateSysctls({ 'net.ipv4.ip_forward': '1' }, { ...own, network: false }),
    /sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace/,
  );
});

test('IPC sysctls are refused with the host IPC namespace', () => {
  assert.throws(() => validateSysctls({ 'kernel.shmmax': '1' }, { ...own, ipc: false }), /sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace/);
  assert.throws(() => validateSysctls({ 'fs.mqueue.queues_max': '1' }, { ...own, ipc: false }), /hosts ipc namespace/);
});

test('kernel.domainname needs a private UTS namespace; kernel.hostname is never allowed', () => {
  assert.throws(() => validateSysctls({ 'kernel.domainname': 'x' }, { ...own, uts: false }), /not in a separate kernel namespace/);
  assert.throws(() => validateSysctls({ 'kernel.hostname': 'x' }, own), /conflicts with the OCI "hostname" field/);
  assert.throws(() => validateSysctls({ 'kernel.hostname': 'x' }, { ...own, uts: false }), /not in a separate kernel namespace/);
});

test('an empty name is refused', () => {
  assert.throws(() => validateSysctls({ '': '1' }, own), InvalidArgumentError);
});

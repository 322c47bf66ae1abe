import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../util/errors.js';
import { buildResources, defaultDeviceRules } from './resources.js';

const MiB = 1024 * 1024;

test('with nothing set only the device rules are written', () => {
  assert.deepEqual(buildResources(), { devices: defaultDeviceRules() });
  assert.deepEqual(buildResources({ memory: 0, cpuShares: 0, blkioWeight: 0, cpusetCpus: '' }), { devices: defaultDeviceRules() });
});

test("Docker's device rules: deny all, allow the standard char devices, deny fuse", () => {
  const rules = defaultDeviceRules();
  assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
  const allowed = rules.filter((r) => r.allow).map((r) => `${r.type} ${r.major}:${r.minor} ${r.access}`);
  assert.deepEqual(allowed, ['c 1:5 rwm', 'c 1:3 rwm', 'c 1:9 rwm', 'c 1:8 rwm', 'c 5:0 rwm', 'c 5:1 rwm']);
  assert.deepEqual(rules.at(-1), { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' });
});

test('memory alone gets swap = 2 × memory', () => {
  assert.deepEqual(buildResources({ memory: 64 * MiB }).memory, { limit: 64 * MiB, swap: 128 * MiB });
});

test('explicit swap is kept, -1 leaves swap unlimited', () => {
  assert.deepEqual(buildResources({ memory: 64 * MiB, memorySwap: 100 * MiB }).memory, { limit: 64 * MiB, swap: 100 * MiB });
  assert.deepEqual(buildResources({ memory: 64 * MiB, memorySwap: -1 }).memory, { limit: 64 * MiB });
  assert.deepEqual(buildResources({ memory: 64 * MiB, memorySwap: 64 * MiB }).memory, { limit: 64 * MiB, swap: 64 * MiB });
});

test('reservation, swappiness and the OOM killer switch', () => {
  assert.deepEqual(buildResources({ memoryReservation: 32 * MiB, memorySwappiness: 0, oomKillDisable: true }).memory, {
    reservation: 32 * MiB,
    swappiness: 0,
    disableOOMKiller: true,
  });
});

test('memory errors use Docker wording', () => {
  assert.throws(() => buildResources({ memorySwap: 10 * MiB }), /You should always set the Memory limit when using Memoryswap limit/);
  assert.throws(() => buildResources({ memory: 64 * MiB, memorySwap: 32 * MiB }), /Minimum memoryswap limit should be larger than memory limit/);
  assert.throws(() => buildResources({ memory: 64 * MiB, memoryReservation: 65 * MiB }), /can not be less than memory reservation limit/);
  assert.throws(() => buildResources({ memorySwappiness: 101 }), /valid memory swappiness range is 0-100/);
  assert.throws(() => buildResources({ memory: -5 }), InvalidArgumentError);
  assert.throws(() => buildResources({ memory: 1.5 }), InvalidArgumentError);
});

test('--cpus N becomes period 100000 and quota N × 100000', () => {
  assert.deepEqual(buildResources({ nanoCpus: 1.5e9 }).cpu, { period: 100000, quota: 150000 });
  assert.deepEqual(buildResources({ nanoCpus: 0.01e9 }).cpu, { period: 100000, quota: 1000 });
  assert.deepEqual(buildResources({ nanoCpus: 2e9 }).cpu, { period: 100000, quota: 200000 });
});

test('shares, period, quota and cpusets pass through', () => {
  assert.deepEqual(buildResources({ cpuShares: 512, cpuPeriod: 50000, cpuQuota: 25000, cpusetCpus: '0-1,3', cpusetMems: '0' }).cpu, {
    shares: 512,
    period: 50000,
    quota: 25000,
    cpus: '0-1,3',
    mems: '0',
  });
  assert.deepEqual(buildResources({ cpuQuota: -1 }).cpu, { quota: -1 });
});

test('cpu errors use Docker wording', () => {
  assert.throws(() => buildResources({ nanoCpus: 1e9, cpuPeriod: 100000 }), /Nano CPUs and CPU Period cannot both be set/);
  assert.throws(() => buildResources({ nanoCpus: 1e9, cpuQuota: 100000 }), /Nano CPUs and CPU Quota cannot both be set/);
  assert.throws(() => buildResources({ cpuPeriod: 500 }), /CPU cfs period can not be less than 1ms/);
  assert.throws(() => buildResources({ cpuQuota: 999 }), /CPU cfs quota can not be less than 1ms/);
  assert.throws(() => buildResources({ cpusetCpus: '0-a' }), /Invalid value 0-a for cpuset cpus/);
  assert.throws(() => buildResources({ cpuShares: -1 }), InvalidArgumentError);
});

test('pids limit: positive kept, 0 and negative mean unlimited (-1), unset omitted', () => {
  assert.deepEqual(buildResources({ pidsLimit: 100 }).pids, { limit: 100 });
  assert.deepEqual(buildResources({ pidsLimit: 0 }).pids, { limit: -1 });
  assert.deepEqual(buildResources({ pidsLimit: -1 }).pids, { limit: -1 });
  assert.equal(buildResources({ pidsLimit: null }).pids, undefined);
  assert.equal(buildResources({}).pids, undefined);
});

test('blkio weight within 10..1000', () => {
  assert.deepEqual(buildResources({ blkioWeight: 500 }).blockIO, { weight: 500 });
  assert.throws(() => buildResources({ blkioWeight: 5 }), /Range of blkio weight is from 10 to 1000/);
  assert.throws(() => buildResources({ blkioWeight: 1001 }), /Range of blkio weight/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../flags/flag-set.js';
import { buildCreatePlan, effectiveCaps, parseCpus, parseRestartPolicy, parseUlimit, readKeyValueFile, runFlags } from './run-options.js';

async function plan(argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}, consoleSize: [number, number] = [0, 0]) {
  const flags = parseFlags(runFlags, argv, { interspersed: false });
  return buildCreatePlan({
    flags,
    args: flags.args,
    env,
    consoleSize,
    readFile: async (p) => {
      if (files[p] === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return Buffer.from(files[p]!);
    },
  });
}

test('defaults match what docker sends for `create busybox`', async () => {
  const p = await plan(['busybox']);
  const b = p.body as Record<string, unknown> & { HostConfig: Record<string, unknown> };
  assert.equal(p.image, 'busybox');
  assert.equal(p.name, '');
  assert.equal(p.pull, 'missing');
  assert.deepEqual(
    Object.fromEntries(['Hostname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Image', 'Entrypoint', 'Labels'].map((k) => [k, b[k]])),
    { Hostname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: 'busybox', Entrypoint: null, Labels: {} },
  );
  assert.equal(b.StopTimeout, undefined);
  assert.equal(b.HostConfig.NetworkMode, 'default');
  assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(b.HostConfig.AutoRemove, false);
  assert.equal(b.HostConfig.MemorySwappiness, -1);
  assert.equal(b.HostConfig.CapAdd, null);
  assert.deepEqual(b.HostConfig.Ulimits, []);
  assert.equal('Init' in b.HostConfig, false);
  assert.equal('Tmpfs' in b.HostConfig, false);
  assert.deepEqual(Object.keys((b.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig), ['default']);
});

test('every run flag lands where docker puts it', async () => {
  const p = await plan(
    [
      '-i', '-t', '--name', 'web', '-e', 'A=B', '-e', 'HOME', '-e', 'UNSET', '-w', '/x', '-u', '1:2', '--entrypoint', '/bin/sh', '-h', 'box',
      '-l', 'a=b', '-l', 'c', '--read-only', '--tmpfs', '/run:size=1m', '--tmpfs', '/x', '-m', '512m', '--memory-swap', '-1', '--cpus', '1.5',
      '--cpu-shares', '512', '--pids-limit', '10', '--restart', 'on-failure:3', '--stop-signal', 'SIGUSR1', '--stop-timeout', '5',
      '--cap-add', 'net_admin', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--init', '--network', 'none',
      '--ulimit', 'nofile=100:200', '--ulimit', 'nproc=5', '--platform', 'linux/amd64',
      'busybox', 'ls', '-l',
    ],
    { HOME: '/root' },
  );
  const b = p.body as Record<string, unknown> & { HostConfig: Record<string, unknown> };
  assert.equal(p.name, 'web');
  assert.equal(p.platform, 'linux/amd64');
  assert.equal(b.Hostname, 'box');
  assert.equal(b.User, '1:2');
  assert.equal(b.AttachStdin, true);
  assert.equal(b.OpenStdin, true);
  assert.equal(b.StdinOnce, true);
  assert.equal(b.Tty, true);
  assert.deepEqual(b.Env, ['A=B', 'HOME=/root', 'UNSET']);
  assert.deepEqual(b.Cmd, ['ls', '-l']);
  assert.deepEqual(b.Entrypoint, ['/bin/sh']);
  assert.equal(b.WorkingDir, '/x');
  assert.deepEqual(b.Labels, { a: 'b', c: '' });
  assert.equal(b.StopSignal, 'SIGUSR1');
  assert.equal(b.StopTimeout, 5);
  const h = b.HostConfig;
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=1m', '/x': '' });
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.MemorySwap, -1);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.equal(h.CpuShares, 512);
  assert.equal(h.PidsLimit, 10);
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(h.CapAdd, ['CAP_NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.equal(h.Init, true);
  assert.equal(h.NetworkMode, 'none');
  assert.equal(h.AutoRemove, false);
  assert.deepEqual(h.Ulimits, [
    { Name: 'nofile', Hard: 200, Soft: 100 },
    { Name: 'nproc', Hard: 5, Soft: 5 },
  ]);
  assert.deepEqual((b.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig, {});
});

test('--entrypoint "" resets the entrypoint to [""]', async () => {
  assert.deepEqual((await plan(['--entrypoint', '', 'img'])).body.Entrypoint, ['']);
  assert.deepEqual((await plan(['--entrypoint=', 'img'])).body.Entrypoint, ['']);
});

test('--rm with a restart policy is refused, with docker wording', async () => {
  await assert.rejects(plan(['--rm', '--restart', 'always', 'img']), { message: 'conflicting options: cannot specify both --restart and --rm' });
  await plan(['--rm', '--restart', 'no', 'img']);
});

test('-a picks streams; -t keeps the console size', async () => {
  const p = await plan(['-a', 'STDERR', '-t', 'img'], {}, {}, [30, 100]);
  assert.equal(p.body.AttachStdout, false);
  assert.equal(p.body.AttachStderr, true);
  assert.deepEqual(p.body.HostConfig!.ConsoleSize, [30, 100]);
  assert.deepEqual((await plan(['img'], {}, {}, [30, 100])).body.HostConfig!.ConsoleSize, [0, 0]);
});

test('env files come before -e, with comments, BOM and pass-through names', async () => {
  const files = { '/e': '\uFEFF# comment\n\nA=1\n  B=two words\nPASS\nMISSING\r\nC=\n' };
  const p = await plan(['--env-file', '/e', '-e', 'A=override', 'img'], { PASS: 'through' }, files);
  assert.deepEqual(p.body.Env, ['A=1', 'B=two words', 'PASS=through', 'C=', 'A=override']);
  await assert.rejects(plan(['--env-file', '/nope', 'img']), { message: 'open /nope: no such file or directory' });
  await assert.rejects(readKeyValueFile('/bad', async () => Buffer.from('BAD KEY=1\n'), null), { message: "poorly formatted environment: variable 'BAD KEY' contains whitespaces" });
  await assert.rejects(readKeyValueFile('/bad', async () => Buffer.from([0x41, 0x3d, 0xff, 0x0a]), null), /contains invalid utf8 bytes at line 1/);
});

test('label files and labels merge into a map', async () => {
  const p = await plan(['--label-file', '/l', '-l', 'b=2', 'img'], {}, { '/l': 'a=1\nb=1\nnovalue\n' });
  assert.deepEqual(p.body.Labels, { a: '1', b: '2' });
});

test('seccomp profiles are read and compacted', async () => {
  const p = await plan(['--security-opt', 'seccomp=/prof.json', '--security-opt', 'label=disable', 'img'], {}, { '/prof.json': '{ "defaultAction": "SCMP_ACT_ALLOW" }' });
  assert.deepEqual(p.body.HostConfig!.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'label=disable']);
  await assert.rejects(plan(['--security-opt', 'bogus', 'img']), { message: 'Invalid --security-opt: "bogus"' });
});

test('--network host and several networks', async () => {
  const p = await plan(['--network', 'host', 'img']);
  assert.equal(p.body.HostConfig!.NetworkMode, 'host');
  await assert.rejects(plan(['--network', 'host', '--network', 'mynet', 'img']), /cannot attach both user-defined and non-user-defined/);
  const two = await plan(['--network', 'a', '--network', 'b', 'img']);
  assert.deepEqual(Object.keys((two.body.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig), ['a', 'b']);
});

test('value parsers follow docker', () => {
  assert.equal(parseCpus('0.5'), 500_000_000);
  assert.equal(parseCpus('2'), 2_000_000_000);
  assert.throws(() => parseCpus('abc'), { message: 'failed to parse abc as a rational number' });
  assert.throws(() => parseCpus('0.0000000001'), { message: 'value is too precise' });
  assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:5'), { Name: 'on-failure', MaximumRetryCount: 5 });
  assert.deepEqual(parseRestartPolicy(''), {});
  assert.throws(() => parseRestartPolicy('on-failure:x'), { message: 'invalid restart policy format: maximum retry count must be an integer' });
  assert.throws(() => parseRestartPolicy(':3'), { message: 'invalid restart policy format: no policy provided before colon' });
  assert.deepEqual(parseUlimit('nofile=10'), { Name: 'nofile', Hard: 10, Soft: 10 });
  assert.throws(() => parseUlimit('nofile'), { message: 'invalid ulimit argument: nofile' });
  assert.throws(() => parseUlimit('bogus=1'), { message: 'invalid ulimit type: bogus' });
  assert.throws(() => parseUlimit('nofile=20:10'), { message: 'ulimit soft limit must be less than or equal to hard limit: 20 > 10' });
  // As docker 28 sends them: normalized, sorted, deduplicated, nothing cancelled (the daemon lets the add win).
  assert.deepEqual(effectiveCaps(['sys_admin', 'CAP_CHOWN', 'NET_RAW', 'cap_sys_admin'], ['net_raw']), [['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'], ['CAP_NET_RAW']]);
  assert.deepEqual(effectiveCaps(['all', 'CHOWN'], []), [['ALL', 'CAP_CHOWN'], null]);
  assert.deepEqual(effectiveCaps([], ['ALL']), [null, ['ALL']]);
  assert.deepEqual(effectiveCaps([], []), [null, null]);
});

test('flag validation errors read as pflag reports them', () => {
  assert.throws(() => parseFlags(runFlags, ['-m', 'lots', 'img'], { interspersed: false }), { message: `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'` });
  assert.throws(() => parseFlags(runFlags, ['-a', 'stdweird', 'img'], { interspersed: false }), { message: 'invalid argument "stdweird" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR' });
  assert.throws(() => parseFlags(runFlags, ['--pull', 'sometimes', 'img'], { interspersed: false }), /invalid pull option: 'sometimes'/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './test-support.js';

test('berth with no arguments or --help prints the command overview', async () => {
  for (const argv of [[], ['--help'], ['help']]) {
    const r = await runCli(argv);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: {2}berth \[OPTIONS\] COMMAND\n/);
    assert.match(r.stdout, /\nCommon Commands:\n {2}run {9}/);
    assert.match(r.stdout, /\nManagement Commands:\n {2}container {3}Manage containers\n/);
    assert.match(r.stdout, /\n {2}-H, --host list {10}Daemon socket/);
    assert.match(r.stdout, /\nRun 'berth COMMAND --help' for more information on a command\.\n$/);
  }
});

test('-v prints the version', async () => {
  const r = await runCli(['-v']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'Berth version 0.1.0-test\n');
});

test('command help shows usage, aliases and options', async () => {
  const r = await runCli(['ps', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: {2}berth ps \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}berth container ls, berth container list, berth container ps, berth ps\n\nOptions:\n/);
  assert.match(r.stdout, /\n {2}-n, --last int {8}Show the n most recently created containers, in\n {24}any state \(default -1\)\n/);
  const c = await runCli(['container', 'ls', '--help']);
  assert.match(c.stdout, /^Usage: {2}berth container ls \[OPTIONS\]\n/);
  const run = await runCli(['run', '--help']);
  assert.match(run.stdout, /\n {6}--help +Print usage\n/);
  assert.match(run.stdout, /--network network +Connect the container to a network: none or\n +host \(the bridge network comes in a later\n +release; until then the default is none\)/);
  const pause = await runCli(['pause', '--help']);
  assert.doesNotMatch(pause.stdout, /Options:/);
});

test('-h prints help with docker\'s deprecation note, unless the command has its own -h', async () => {
  const r = await runCli(['ps', '-h']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'Flag shorthand -h has been deprecated, use --help\n');
  assert.match(r.stdout, /^Usage: {2}berth ps/);
});

test('group help lists subcommands', async () => {
  const r = await runCli(['image']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: {2}berth image COMMAND\n\nManage images\n\nCommands:\n {2}bootstrap {3}/);
  assert.match(r.stdout, /\n {2}ls {10}List images\n/);
});

test('unknown flags exit 125 with the usage hint', async () => {
  const r = await runCli(['ps', '--foo']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "unknown flag: --foo\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n");
  const g = await runCli(['-x']);
  assert.equal(g.code, 125);
  assert.equal(g.stderr, "unknown shorthand flag: 'x' in -x\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n");
  const bad = await runCli(['ps', '-n', 'x']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax\n/);
});

test('unknown commands exit 1', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n");
  const s = await runCli(['container', 'frob']);
  assert.equal(s.code, 1);
  assert.equal(s.stderr, "berth: unknown command: berth container frob\n\nUsage:  berth container\n\nRun 'berth container --help' for more information\n");
});

test('argument counts are checked with docker wording', async () => {
  const rm = await runCli(['rm']);
  assert.equal(rm.code, 1);
  assert.equal(rm.stderr, "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n");
  const ps = await runCli(['ps', 'x']);
  assert.match(ps.stderr, /^berth: 'berth ps' accepts no arguments\n/);
  const rename = await runCli(['rename', 'a']);
  assert.match(rename.stderr, /^berth: 'berth rename' requires exactly 2 arguments\n/);
  const logs = await runCli(['logs']);
  assert.match(logs.stderr, /^berth: 'berth logs' requires exactly 1 argument\n/);
});

test('daemon errors print "Error response from daemon" and exit 1', async () => {
  const { ApiError } = await import('../api/client/index.js');
  const r = await runCli(['kill', 'nope'], { client: { containerKill: () => Promise.reject(new ApiError(404, 'No such container: nope')) } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error response from daemon: No such container: nope\n');
});

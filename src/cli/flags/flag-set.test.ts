import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, flagUsages, parseFlags, parseGoInt, type FlagSpec } from './flag-set.js';

const specs: FlagSpec[] = [
  { name: 'interactive', short: 'i', kind: 'bool', usage: 'keep stdin open' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'allocate a tty' },
  { name: 'detach', short: 'd', kind: 'bool', usage: 'run in background' },
  { name: 'env', short: 'e', kind: 'list', usage: 'set env' },
  { name: 'name', kind: 'string', usage: 'name it' },
  { name: 'last', short: 'n', kind: 'int', usage: 'last n', default: -1 },
  { name: 'sig-proxy', kind: 'bool', usage: 'proxy signals', default: true },
];

test('parseFlags combines short booleans and reads attached values', () => {
  const p = parseFlags(specs, ['-it', '-eA=B', '-e', 'C=D', '-e=E=F', '--name=x', 'img', 'cmd']);
  assert.equal(p.bool('interactive'), true);
  assert.equal(p.bool('tty'), true);
  assert.equal(p.bool('detach'), false);
  assert.deepEqual(p.list('env'), ['A=B', 'C=D', 'E=F']);
  assert.equal(p.string('name'), 'x');
  assert.deepEqual(p.args, ['img', 'cmd']);
});

test('parseFlags takes the next argument for a long flag without =, even when it starts with -', () => {
  const p = parseFlags(specs, ['--name', '-weird', '--last', '3']);
  assert.equal(p.string('name'), '-weird');
  assert.equal(p.int('last'), 3);
  assert.equal(p.changed('last'), true);
  assert.equal(p.changed('name'), true);
  assert.equal(p.changed('env'), false);
});

test('parseFlags keeps defaults and accepts --bool=false', () => {
  const p = parseFlags(specs, ['--sig-proxy=false', '-d=true']);
  assert.equal(p.bool('sig-proxy'), false);
  assert.equal(p.bool('detach'), true);
  assert.equal(parseFlags(specs, []).int('last'), -1);
  assert.equal(parseFlags(specs, []).bool('sig-proxy'), true);
});

test('parseFlags stops at the first positional when not interspersed', () => {
  const p = parseFlags(specs, ['-d', 'busybox', 'ls', '-l', '--name', 'x'], { interspersed: false });
  assert.equal(p.bool('detach'), true);
  assert.deepEqual(p.args, ['busybox', 'ls', '-l', '--name', 'x']);
  assert.equal(p.string('name'), '');
});

test('parseFlags mixes flags and arguments when interspersed', () => {
  const p = parseFlags(specs, ['a', '-d', 'b', '--', '-t', '--name']);
  assert.equal(p.bool('detach'), true);
  assert.equal(p.bool('tty'), false);
  assert.deepEqual(p.args, ['a', 'b', '-t', '--name']);
});

test('parseFlags treats a lone dash as an argument', () => {
  assert.deepEqual(parseFlags(specs, ['-', 'x']).args, ['-', 'x']);
});

test('parseFlags reports pflag errors', () => {
  const err = (argv: string[]) => {
    try {
      parseFlags(specs, argv);
    } catch (e) {
      assert.ok(e instanceof FlagError);
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(err(['--foo']), 'unknown flag: --foo');
  assert.equal(err(['--foo=1']), 'unknown flag: --foo');
  assert.equal(err(['-x']), "unknown shorthand flag: 'x' in -x");
  assert.equal(err(['-dx']), "unknown shorthand flag: 'x' in -dx");
  assert.equal(err(['--name']), 'flag needs an argument: --name');
  assert.equal(err(['-n']), "flag needs an argument: 'n' in -n");
  assert.equal(err(['-n', 'abc']), 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax');
  assert.equal(err(['--detach=maybe']), 'invalid argument "maybe" for "-d, --detach" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  assert.equal(err(['---x']), 'bad flag syntax: ---x');
});

test('parseFlags recognises --help, and -h when the command has no -h of its own', () => {
  assert.equal(parseFlags(specs, ['--help']).help, true);
  const p = parseFlags(specs, ['-h']);
  assert.equal(p.help, true);
  assert.equal(p.helpShorthand, true);
  const withH: FlagSpec[] = [{ name: 'hostname', short: 'h', kind: 'string', usage: 'host' }];
  const q = parseFlags(withH, ['-h', 'box']);
  assert.equal(q.help, false);
  assert.equal(q.string('hostname'), 'box');
});

test('parseFlags runs validators and reports their reason', () => {
  const s: FlagSpec[] = [
    {
      name: 'memory',
      short: 'm',
      kind: 'string',
      usage: 'mem',
      validate: (v) => {
        if (!/^\d+[kmg]?$/.test(v)) throw new Error('invalid size');
      },
    },
  ];
  assert.throws(() => parseFlags(s, ['-m', 'lots']), { message: 'invalid argument "lots" for "-m, --memory" flag: invalid size' });
});

test('parseGoInt handles Go integer syntax', () => {
  assert.equal(parseGoInt('10'), 10);
  assert.equal(parseGoInt('-1'), -1);
  assert.equal(parseGoInt('0x10'), 16);
  assert.equal(parseGoInt('010'), 8);
  assert.equal(parseGoInt('0b11'), 3);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.throws(() => parseGoInt('1.5'));
  assert.throws(() => parseGoInt(''));
});

test('flagUsages aligns and wraps like pflag', () => {
  const s: FlagSpec[] = [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show every container, not only the running ones (the default)' },
    { name: 'filter', short: 'f', kind: 'list', type: 'filter', usage: 'Filter output' },
    { name: 'last', short: 'n', kind: 'int', usage: 'Show the n most recent', default: -1 },
    { name: 'format', kind: 'string', usage: 'Format output' },
    { name: 'secret', kind: 'bool', usage: 'hidden', hidden: true },
  ];
  assert.equal(
    flagUsages(s),
    [
      '  -a, --all             Show every container, not only the running ones',
      '                        (the default)',
      '  -f, --filter filter   Filter output',
      '      --format string   Format output',
      '  -n, --last int        Show the n most recent (default -1)',
      '',
    ].join('\n'),
  );
});

test('flagUsages quotes string defaults', () => {
  const s: FlagSpec[] = [{ name: 'tail', short: 'n', kind: 'string', usage: 'Lines', default: 'all' }];
  assert.equal(flagUsages(s), '  -n, --tail string   Lines (default "all")\n');
});

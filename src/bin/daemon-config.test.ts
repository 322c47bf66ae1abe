import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs, parseHost, defaults } from './daemon-config.js';
import { InvalidArgumentError } from '../util/errors.js';

const noFile = () => {
  throw Object.assign(new Error('missing'), { code: 'ENOENT' });
};

test('flags override defaults; -H repeats', () => {
  const { config } = parseDaemonArgs(['--data-root', '/d', '-H', 'unix:///a.sock', '--host=tcp://127.0.0.1:2376', '-D'], noFile);
  assert.equal(config.dataRoot, '/d');
  assert.deepEqual(config.hosts, ['unix:///a.sock', 'tcp://127.0.0.1:2376']);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.execRoot, defaults.execRoot);
});

test('the config file fills in values and conflicts with flags are refused', () => {
  const file = () => JSON.stringify({ 'data-root': '/from-file', hosts: ['unix:///f.sock'], 'log-level': 'warn' });
  const { config } = parseDaemonArgs([], file);
  assert.equal(config.dataRoot, '/from-file');
  assert.equal(config.logLevel, 'warn');
  assert.throws(() => parseDaemonArgs(['--data-root', '/x'], file), /specified both as a flag and in the configuration file/);
  assert.throws(() => parseDaemonArgs([], () => '{"nope": 1}'), /don't match any configuration option: nope/);
  assert.throws(() => parseDaemonArgs([], () => '{bad json'), /unable to parse configuration file/);
  assert.throws(() => parseDaemonArgs(['--config-file', '/missing.json'], noFile), /unable to read configuration file/);
  assert.deepEqual(parseDaemonArgs(['--config-file='], file).config.dataRoot, defaults.dataRoot);
});

test('bad flags and addresses are refused clearly', () => {
  assert.throws(() => parseDaemonArgs(['--bogus'], noFile), InvalidArgumentError);
  assert.throws(() => parseDaemonArgs(['--data-root'], noFile), /flag needs an argument/);
  assert.throws(() => parseDaemonArgs(['--log-level', 'loud'], noFile), /unable to parse logging level/);
  assert.throws(() => parseDaemonArgs(['--data-root', 'relative'], noFile), /absolute/);
  assert.deepEqual(parseHost('tcp://0.0.0.0:2375'), { kind: 'tcp', host: '0.0.0.0', port: 2375 });
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.throws(() => parseHost('ftp://x'), /invalid daemon address/);
});

test('registry settings: Docker flag and daemon.json names, repeatable lists, positive limits', () => {
  const { config } = parseDaemonArgs(
    ['--insecure-registry', 'reg.lan:5000', '--insecure-registry=10.0.0.0/8', '--registry-mirror', 'https://mirror.lan', '--max-concurrent-downloads', '6'],
    noFile,
  );
  assert.deepEqual(config.insecureRegistries, ['reg.lan:5000', '10.0.0.0/8']);
  assert.deepEqual(config.registryMirrors, ['https://mirror.lan']);
  assert.equal(config.maxConcurrentDownloads, 6);
  assert.equal(config.maxConcurrentUploads, 5);
  const file = () => JSON.stringify({ 'insecure-registries': ['a:1'], 'registry-mirrors': ['http://m:5000/'], 'max-concurrent-uploads': 2 });
  const fromFile = parseDaemonArgs([], file).config;
  assert.deepEqual(fromFile.insecureRegistries, ['a:1']);
  assert.deepEqual(fromFile.registryMirrors, ['http://m:5000/']);
  assert.equal(fromFile.maxConcurrentUploads, 2);
  assert.equal(fromFile.maxConcurrentDownloads, 3);
  assert.throws(() => parseDaemonArgs(['--max-concurrent-downloads', '0'], noFile), /positive integer/);
  assert.throws(() => parseDaemonArgs(['--max-concurrent-downloads', 'x'], noFile), /positive integer/);
  assert.throws(() => parseDaemonArgs(['--insecure-registry', 'http://x'], noFile), /should not contain ':\/\/'/);
  assert.throws(() => parseDaemonArgs(['--registry-mirror', 'ftp://m'], noFile), /unsupported scheme "ftp"/);
  assert.throws(() => parseDaemonArgs(['--registry-mirror', 'https://m/path'], noFile), /path, query, or fragment/);
  assert.throws(() => parseDaemonArgs([], () => '{"registry-mirrors": "x"}'), /must be a list of strings/);
});

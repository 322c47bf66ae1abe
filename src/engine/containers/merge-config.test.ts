import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeImageConfig, mergeEnv, mergeImageEnv, entrypointAndArgs, validateWorkingDir } from './merge-config.js';

const image = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/srv', User: 'app', Labels: { a: '1' }, StopSignal: 'SIGQUIT' };

test('request values win and image values fill the gaps', () => {
  const c = mergeImageConfig({ Image: 'x', Env: ['A=2', 'B=3'], Labels: { b: '2' } }, image);
  // Docker's order: the request's entries, then the image's that the request does not set.
  assert.deepEqual(c.Env, ['A=2', 'B=3', 'PATH=/bin']);
  assert.deepEqual(c.Cmd, ['sh']);
  assert.deepEqual(c.Entrypoint, ['/init']);
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, 'app');
  assert.deepEqual(c.Labels, { a: '1', b: '2' });
  assert.equal(c.StopSignal, 'SIGQUIT');
});

test('a Cmd replaces the image Cmd but keeps its Entrypoint', () => {
  const c = mergeImageConfig({ Cmd: ['echo', 'hi'] }, image);
  assert.deepEqual(entrypointAndArgs(c), { path: '/init', args: ['echo', 'hi'] });
});

test('an explicit Entrypoint drops the image Cmd; an empty one clears both', () => {
  assert.deepEqual(mergeImageConfig({ Entrypoint: ['/bin/date'] }, image).Cmd, null);
  const cleared = mergeImageConfig({ Entrypoint: [''] }, image);
  assert.equal(cleared.Entrypoint, null);
  assert.equal(cleared.Cmd, null);
  assert.throws(() => entrypointAndArgs(cleared), /no command specified/);
  const withCmd = mergeImageConfig({ Entrypoint: [''], Cmd: ['ls'] }, image);
  assert.deepEqual(entrypointAndArgs(withCmd), { path: 'ls', args: [] });
});

test('mergeEnv replaces keys in place; validateWorkingDir cleans and requires absolute paths', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C']), ['A=1', 'B=3', 'C']);
  assert.equal(validateWorkingDir('/a/./b/../c/'), '/a/c');
  assert.throws(() => validateWorkingDir('rel'), /needs to be an absolute path/);
});

test('mergeImageEnv keeps the request as given and adds the image names it lacks', () => {
  assert.deepEqual(mergeImageEnv(['PATH=/bin', 'A=1'], []), ['PATH=/bin', 'A=1']);
  assert.deepEqual(mergeImageEnv(['PATH=/bin', 'A=1'], ['A', 'C=3']), ['A', 'C=3', 'PATH=/bin']);
  assert.deepEqual(mergeImageEnv([], ['X=1', 'X=2']), ['X=1', 'X=2']);
});

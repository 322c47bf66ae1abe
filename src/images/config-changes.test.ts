import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfigChanges, parseKeyValuePairs } from './config-changes.js';
import { InvalidArgumentError } from '../util/errors.js';

test('applyConfigChanges handles JSON and shell forms', () => {
  const cfg = applyConfigChanges({}, ['CMD ["sh"]', 'ENTRYPOINT /bin/echo hi', 'WORKDIR /app', 'WORKDIR sub', 'USER nobody']);
  assert.deepEqual(cfg.Cmd, ['sh']);
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c', '/bin/echo hi']);
  assert.equal(cfg.WorkingDir, '/app/sub');
  assert.equal(cfg.User, 'nobody');
});

test('ENV and LABEL accept key=value lists with quotes, and the legacy ENV form', () => {
  const cfg = applyConfigChanges({ Env: ['PATH=/bin', 'A=1'] }, ['ENV A=2 B="two words"', 'ENV C the rest', 'LABEL x=1 "y z"=2']);
  assert.deepEqual(cfg.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=the rest']);
  assert.deepEqual(cfg.Labels, { x: '1', 'y z': '2' });
});

test('EXPOSE expands ranges and protocols; VOLUME takes lists', () => {
  const cfg = applyConfigChanges({}, ['EXPOSE 80 53/udp 8000-8001', 'VOLUME ["/a","/b"]', 'VOLUME /c']);
  assert.deepEqual(Object.keys(cfg.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(cfg.Volumes!), ['/a', '/b', '/c']);
});

test('unsupported instructions and bad pairs are refused', () => {
  assert.throws(() => applyConfigChanges({}, ['RUN echo']), /run is not a valid change command/);
  assert.throws(() => applyConfigChanges({}, ['EXPOSE abc']), InvalidArgumentError);
  assert.throws(() => parseKeyValuePairs('novalue'), InvalidArgumentError);
  assert.throws(() => parseKeyValuePairs('a="open'), /unmatched quote/);
});

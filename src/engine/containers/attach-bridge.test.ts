import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Duplex } from 'node:stream';
import { bridgeAttachSocket, DetachKeyScanner, parseDetachKeys } from './attach-bridge.js';

test('bridgeAttachSocket demultiplexes conmon packets and forwards stdin', async () => {
  const fromConmon = new PassThrough({ objectMode: true }); // keeps packet boundaries like SOCK_SEQPACKET
  const toConmon = new PassThrough();
  const sock = Duplex.from({ readable: fromConmon, writable: toConmon });
  const got: string[] = [];
  let ended = false;
  const s = bridgeAttachSocket(sock, { write: (st, d) => got.push(`${st}:${d}`), end: () => (ended = true) }, { stdin: true, stdout: true, stderr: false });
  fromConmon.write(Buffer.from([2, ...Buffer.from('out')]));
  fromConmon.write(Buffer.from([3, ...Buffer.from('err')]));
  s.stdin!.write(Buffer.from('in'));
  fromConmon.end();
  await s.done;
  assert.deepEqual(got, ['stdout:out']);
  assert.equal(ended, true);
  assert.equal(toConmon.read()?.toString(), 'in');
});

test('DetachKeyScanner detaches on the sequence and releases broken prefixes', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');
  assert.deepEqual(keys, [16, 17]);
  const s = new DetachKeyScanner(keys);
  assert.deepEqual(s.feed(Buffer.from([1, 16])), { forward: Buffer.from([1]), detach: false });
  assert.deepEqual(s.feed(Buffer.from([2])), { forward: Buffer.from([16, 2]), detach: false });
  assert.deepEqual(s.feed(Buffer.from([16, 17, 9])), { forward: Buffer.from([]), detach: true });
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid escape keys/);
  assert.deepEqual(parseDetachKeys('a,ctrl-@'), [97, 0]);
});

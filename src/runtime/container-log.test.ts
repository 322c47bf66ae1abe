import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLine, toDockerTimestamp, readContainerLog, type LogRecord } from './container-log.js';

test('toDockerTimestamp converts offsets to UTC and trims zeros', () => {
  assert.equal(toDockerTimestamp('2024-05-01T12:00:00.123000000+02:00')!.timestamp, '2024-05-01T10:00:00.123Z');
  assert.equal(toDockerTimestamp('2024-05-01T10:00:00.000000000+00:00')!.timestamp, '2024-05-01T10:00:00Z');
  assert.equal(toDockerTimestamp('2024-05-01T10:00:00.000000001Z')!.timeNs, 1714557600000000001n);
  assert.equal(toDockerTimestamp('garbage'), null);
});

test('parseLogLine reads full and partial lines, keeping bytes', () => {
  const full = parseLogLine(Buffer.from('2024-05-01T10:00:00.5+00:00 stderr F hello world'))!;
  assert.equal(full.stream, 'stderr');
  assert.equal(full.data.toString(), 'hello world\n');
  const part = parseLogLine(Buffer.from('2024-05-01T10:00:00.5+00:00 stdout P $ '))!;
  assert.equal(part.data.toString(), '$ ');
  assert.equal(parseLogLine(Buffer.from('2024-05-01T10:00:00+00:00 stdout F '))!.data.toString(), '\n');
  assert.equal(parseLogLine(Buffer.from('nonsense')), null);
  assert.equal(parseLogLine(Buffer.from('2024-05-01T10:00:00+00:00 other F x')), null);
});

test('readContainerLog applies tail and since, and follows until stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-log-'));
  try {
    const path = join(dir, 'ctr.log');
    writeFileSync(path, ['2024-05-01T10:00:01+00:00 stdout F one', '2024-05-01T10:00:02+00:00 stderr F two', '2024-05-01T10:00:03+00:00 stdout F three', ''].join('\n'));
    const got: LogRecord[] = [];
    await readContainerLog(path, { follow: false, tail: 2 }, (r) => got.push(r));
    assert.deepEqual(got.map((r) => r.data.toString()), ['two\n', 'three\n']);
    got.length = 0;
    await readContainerLog(path, { follow: false, sinceNs: toDockerTimestamp('2024-05-01T10:00:02Z')!.timeNs }, (r) => got.push(r));
    assert.deepEqual(got.map((r) => r.data.toString()), ['two\n', 'three\n']);

    got.length = 0;
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const reading = readContainerLog(path, { follow: true, tail: 0, stopped }, (r) => got.push(r));
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(path, '2024-05-01T10:00:04+00:00 stdout P four');
    appendFileSync(path, '\n2024-05-01T10:00:05+00:00 stdout F five\n');
    await new Promise((r) => setTimeout(r, 400));
    stop();
    await reading;
    assert.deepEqual(got.map((r) => r.data.toString()), ['four', 'five\n']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

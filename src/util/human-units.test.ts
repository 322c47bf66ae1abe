import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, humanSize, bytesSize, parseRamSize } from './human-units.js';

test('humanDuration follows go-units', () => {
  assert.equal(humanDuration(200), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(45_000), '45 seconds');
  assert.equal(humanDuration(70_000), 'About a minute');
  assert.equal(humanDuration(10 * 60_000), '10 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(20 * 86_400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
});

test('sizes print and parse like Docker', () => {
  assert.equal(humanSize(4_410_000), '4.41MB');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1_234_567_890), '1.235GB');
  assert.equal(bytesSize(1024 * 1024 * 1.5), '1.5MiB');
  assert.equal(parseRamSize('512m'), 512 * 1024 * 1024);
  assert.equal(parseRamSize('1G'), 1024 ** 3);
  assert.equal(parseRamSize('100kb'), 102400);
  assert.equal(parseRamSize('12'), 12);
  assert.equal(parseRamSize('x1'), null);
});

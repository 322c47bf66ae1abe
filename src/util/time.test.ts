import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNs, parseRfc3339Ns, parseTimeFilter, parseGoDuration, nowRfc3339Nano } from './time.js';

test('formatNs and parseRfc3339Ns round-trip with nanoseconds', () => {
  const ns = 1714557600123456789n;
  assert.equal(formatNs(ns), '2024-05-01T10:00:00.123456789Z');
  assert.equal(parseRfc3339Ns(formatNs(ns)), ns);
  assert.equal(formatNs(1714557600000000000n), '2024-05-01T10:00:00Z');
  assert.equal(parseRfc3339Ns('2024-05-01T12:00:00+02:00'), 1714557600000000000n);
  assert.match(nowRfc3339Nano(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
});

test('parseTimeFilter accepts unix seconds, RFC 3339 and durations', () => {
  assert.equal(parseTimeFilter('1714557600.5'), 1714557600500000000n);
  assert.equal(parseTimeFilter('2024-05-01T10:00:00Z'), 1714557600000000000n);
  assert.equal(parseTimeFilter('10s', 20_000_000_000n), 10_000_000_000n);
  assert.equal(parseTimeFilter('nonsense'), null);
  assert.equal(parseGoDuration('1h30m'), 5400_000_000_000n);
  assert.equal(parseGoDuration('1.5s'), 1_500_000_000n);
  assert.equal(parseGoDuration('5x'), null);
});

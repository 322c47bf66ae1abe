import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsMatch, parsePruneFilters } from './image-prune.js';

const now = 1_700_000_000n * 1_000_000_000n;

test('prune filters: dangling defaults to true and reads as Docker reads booleans', () => {
  assert.equal(parsePruneFilters({}).danglingOnly, true);
  assert.equal(parsePruneFilters({ dangling: ['false'] }).danglingOnly, false);
  assert.equal(parsePruneFilters({ dangling: ['0'] }).danglingOnly, false);
  assert.equal(parsePruneFilters({ dangling: ['TRUE'] }).danglingOnly, true);
  assert.throws(() => parsePruneFilters({ dangling: ['maybe'] }), /^InvalidArgumentError: invalid filter 'dangling=maybe'$/);
  assert.throws(() => parsePruneFilters({ dangling: ['true', 'false'] }), /invalid filter 'dangling=true,false'/);
  assert.throws(() => parsePruneFilters({ reference: ['x'] }), /^InvalidArgumentError: invalid filter 'reference'$/);
});

test('prune filters: until takes durations, unix times and RFC 3339 times, once', () => {
  assert.equal(parsePruneFilters({ until: ['24h'] }, now).until, now - 24n * 3600n * 1_000_000_000n);
  assert.equal(parsePruneFilters({ until: ['1600000000'] }, now).until, 1_600_000_000n * 1_000_000_000n);
  assert.equal(parsePruneFilters({ until: ['2024-01-01T00:00:00Z'] }, now).until, 1_704_067_200n * 1_000_000_000n);
  assert.throws(() => parsePruneFilters({ until: ['1h', '2h'] }), /more than one until filter specified/);
  assert.throws(() => parsePruneFilters({ until: ['soon'] }), /invalid value for 'until' filter: failed to parse value as time or duration: "soon"/);
});

test('label and label! match as Docker matchLabels does', () => {
  const f = (labels: string[], notLabels: string[] = []) => ({ danglingOnly: true, until: null, labels, notLabels });
  const l = { tier: 'web', keep: '' };
  assert.ok(labelsMatch(f([]), l));
  assert.ok(labelsMatch(f(['tier']), l));
  assert.ok(labelsMatch(f(['tier=web']), l));
  assert.ok(!labelsMatch(f(['tier=db']), l));
  assert.ok(!labelsMatch(f(['tier', 'owner']), l), 'every label condition must hold');
  assert.ok(!labelsMatch(f([], ['keep']), l));
  assert.ok(labelsMatch(f([], ['keep', 'owner']), l), 'label! excludes only when all its conditions hold');
  assert.ok(labelsMatch(f([], ['tier=db']), l));
});

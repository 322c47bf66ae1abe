import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, eventMatches } from './events.js';

test('EventBus keeps history and notifies subscribers', () => {
  const bus = new EventBus(2);
  const seen: string[] = [];
  const off = bus.subscribe((e) => seen.push(e.Action));
  bus.publish('container', 'create', 'a'.repeat(64), { name: 'web', image: 'busybox' });
  bus.publish('container', 'start', 'a'.repeat(64), { name: 'web', image: 'busybox' });
  off();
  bus.publish('image', 'tag', 'sha256:x', { name: 'busybox:latest' });
  assert.deepEqual(seen, ['create', 'start']);
  assert.deepEqual(bus.history(0).map((e) => e.Action), ['start', 'tag']);
  const [first, second] = bus.history(0);
  assert.ok(second!.timeNano >= first!.timeNano);
  assert.equal(first!.time, Math.floor(first!.timeNano / 1e9));
});

test('eventMatches applies Docker filters', () => {
  const bus = new EventBus();
  const e = bus.publish('container', 'exec_start: sh', 'abcdef'.padEnd(64, '0'), { name: 'web', image: 'busybox', role: 'db' });
  assert.equal(eventMatches(e, {}), true);
  assert.equal(eventMatches(e, { type: ['container'] }), true);
  assert.equal(eventMatches(e, { type: ['image'] }), false);
  assert.equal(eventMatches(e, { event: ['exec_start'] }), true);
  assert.equal(eventMatches(e, { container: ['web'] }), true);
  assert.equal(eventMatches(e, { container: ['abcdef'] }), true);
  assert.equal(eventMatches(e, { container: ['other'] }), false);
  assert.equal(eventMatches(e, { image: ['busybox'] }), true);
  assert.equal(eventMatches(e, { label: ['role=db'] }), true);
  assert.equal(eventMatches(e, { label: ['role=web'] }), false);
  assert.equal(eventMatches(e, { label: ['role'] }), true);
});

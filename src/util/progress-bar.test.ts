import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, progressBarText } from './progress-bar.js';

test('progressBarText matches what Docker 20.10 sends in the progress field', () => {
  // Lines taken from a real `docker pull` JSON stream.
  assert.equal(progressBarText({ current: 49152, total: 4335400 }), '[>                                                  ]  49.15kB/4.335MB');
  assert.equal(progressBarText({ current: 1378626, total: 4335400 }), '[===============>                                   ]  1.379MB/4.335MB');
  assert.equal(progressBarText({ current: 821033, total: 11107850 }), '[===>                                               ]    821kB/11.11MB');
  assert.equal(progressBarText({ current: 719, total: 2457 }), '[==============>                                    ]     719B/2.457kB');
  assert.equal(progressBarText({ current: 4335400, total: 4335400 }), '[==================================================>]  4.335MB/4.335MB');
});

test('progressBarText: narrow terminals drop the bar, unknown totals show the count, odd counts drop the total', () => {
  assert.equal(progressBarText({ current: 1500, total: 3000 }, 80), '   1.5kB/3kB');
  assert.equal(progressBarText({ current: 1500 }), '   1.5kB');
  assert.equal(progressBarText({ current: 5000, total: 3000 }, 80), '     5kB');
  assert.equal(progressBarText({}), '');
  assert.equal(progressBarText({ current: 3, total: 10, units: 'files' }, 80), '3/10 files');
  assert.equal(progressBarText({ current: 1000, total: 2000, start: 100 }, 200, 110_000), `[=========================>                         ]      1kB/2kB 10s`);
  assert.equal(goDuration(3725), '1h2m5s');
  assert.equal(goDuration(65), '1m5s');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite, TabWriter } from './tab-writer.js';
import { bytesSize, ellipsis, goTimeString, humanDuration, humanSize, ramInBytes, sinceText, truncateId } from './units.js';
import { FormatError, renderList, templateText } from './list-format.js';

test('tabwrite pads columns like docker tables (min width 10, padding 3)', () => {
  const out = tabwrite('CONTAINER ID\tIMAGE\tCOMMAND\tNAMES\nabcdef012345\tbusybox\t"sh"\tweb\n');
  assert.equal(
    out,
    ['CONTAINER ID   IMAGE     COMMAND   NAMES', 'abcdef012345   busybox   "sh"      web', ''].join('\n'),
  );
});

test('tabwrite keeps trailing padding for empty cells and leaves the last cell alone', () => {
  assert.equal(tabwrite('A\tB\tC\nxx\t\tlong-last-cell\n'), 'A         B         C\nxx                  long-last-cell\n');
});

test('tabwrite starts a new block after a line without tabs', () => {
  const w = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 1 });
  w.write('Client:\n Version:\t1\n API version:\t1.45\n\nServer:\n  A very long label here:\tx\n');
  assert.equal(
    w.flush(),
    ['Client:', ' Version:           1', ' API version:       1.45', '', 'Server:', '  A very long label here: x', ''].join('\n'),
  );
});

test('tabwrite counts characters, not bytes', () => {
  assert.equal(tabwrite('héllo\tx\nab\ty\n'), 'héllo     x\nab        y\n');
});

test('humanSize uses 3 significant digits and decimal units', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(4_410_000), '4.41MB');
  assert.equal(humanSize(4_414_000), '4.41MB');
  assert.equal(humanSize(1_234_567_890), '1.23GB');
  assert.equal(humanSize(123_456), '123kB');
  assert.equal(bytesSize(16_663_314_432), '15.52GiB');
  assert.equal(bytesSize(1024), '1KiB');
});

test('humanDuration follows go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_999), '59 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(119_000), 'About a minute');
  assert.equal(humanDuration(120_000), '2 minutes');
  assert.equal(humanDuration(59 * 60_000), '59 minutes');
  assert.equal(humanDuration(60 * 60_000), 'About an hour');
  assert.equal(humanDuration(90 * 60_000), '2 hours');
  assert.equal(humanDuration(47 * 3_600_000), '47 hours');
  assert.equal(humanDuration(48 * 3_600_000), '2 days');
  assert.equal(humanDuration(15 * 24 * 3_600_000), '2 weeks');
  assert.equal(humanDuration(70 * 24 * 3_600_000), '2 months');
  assert.equal(humanDuration(800 * 24 * 3_600_000), '2 years');
  assert.equal(sinceText(1000, 1000 * 1000 + 7200_000), '2 hours ago');
  assert.equal(sinceText(0), 'N/A');
});

test('ids, ellipsis and sizes from flags', () => {
  assert.equal(truncateId('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.equal(truncateId('0123456789abcdef'), '0123456789ab');
  assert.equal(ellipsis('sleep 1000000000000000', 20), 'sleep 1000000000000…');
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('100k'), 102400);
  assert.equal(ramInBytes('1024'), 1024);
  assert.equal(ramInBytes('1.5GB'), 1.5 * 1024 ** 3);
  assert.throws(() => ramInBytes('lots'));
});

test('goTimeString prints Go time.Time.String in local time', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(goTimeString(1700000000), '2023-11-14 22:13:20 +0000 UTC');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('templateText handles table, json and escaped tabs', () => {
  assert.equal(templateText('table', 'table {{.ID}}\\t{{.Name}}'), '{{.ID}}\t{{.Name}}');
  assert.equal(templateText('table {{.ID}}\\t{{.X}}', 'table d'), '{{.ID}}\t{{.X}}');
  assert.equal(templateText('json', 'table d'), '{{json .}}');
  assert.equal(templateText('{{.ID}}\\n', 'table d'), '{{.ID}}\n');
});

test('renderList writes tables with headers, plain templates without', () => {
  const items = [
    { ID: 'a1', Name: 'first' },
    { ID: 'b2', Name: 'second' },
  ];
  const opts = { defaultTable: 'table {{.ID}}\t{{.Name}}', headers: { ID: 'THING ID', Name: 'NAME' } };
  assert.equal(renderList(items, { ...opts, format: '' }), 'THING ID   NAME\na1         first\nb2         second\n');
  assert.equal(renderList([], { ...opts, format: '' }), 'THING ID   NAME\n');
  assert.equal(renderList(items, { ...opts, format: '{{.Name}}' }), 'first\nsecond\n');
  assert.equal(renderList(items, { ...opts, format: 'table {{.Name}}:{{.ID}}' }), 'NAME:THING ID\nfirst:a1\nsecond:b2\n');
  assert.equal(renderList(items, { ...opts, format: 'table {{.Name | upper}}\\t{{json .ID}}' }), 'NAME      THING ID\nFIRST     "a1"\nSECOND    "b2"\n');
  assert.equal(renderList(items, { ...opts, format: 'json' }), '{"ID":"a1","Name":"first"}\n{"ID":"b2","Name":"second"}\n');
  assert.throws(() => renderList(items, { ...opts, format: '{{.Name' }), (e: unknown) => e instanceof FormatError && e.message === 'template parsing error: template: :1: unclosed action');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { StreamError, type JsonMessage } from '../../api/client/index.js';
import { ProgressRenderer, renderProgress } from './progress-renderer.js';

function sink(): { out: Writable & { isTTY?: boolean }; text: () => string } {
  let buf = '';
  const out = new Writable({
    write(c, _e, cb) {
      buf += c.toString();
      cb();
    },
  });
  return { out, text: () => buf };
}

const pull: JsonMessage[] = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' },
  { status: 'Downloading', progressDetail: { current: 1000, total: 4000 }, progress: '[==>  ] 1kB/4kB', id: 'aaa' },
  { status: 'Downloading', progressDetail: { current: 3000, total: 4000 }, progress: '[===>  ] 3kB/4kB', id: 'aaa' },
  { status: 'Download complete', progressDetail: {}, id: 'aaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'bbb' },
  { status: 'Digest: sha256:abc' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

test('without a terminal: one plain line per status, byte-count updates left out (as docker)', async () => {
  const s = sink();
  await renderProgress((async function* () { yield* pull; })(), s.out, { tty: false });
  assert.equal(
    s.text(),
    [
      'latest: Pulling from library/busybox',
      'aaa: Pulling fs layer',
      'bbb: Pulling fs layer',
      'aaa: Download complete',
      'bbb: Pull complete',
      'Digest: sha256:abc',
      'Status: Downloaded newer image for busybox:latest',
      '',
    ].join('\n'),
  );
});

test('on a terminal: each layer keeps its line, redrawn in place with bars, sizes and speeds', () => {
  const s = sink();
  let now = 0;
  const r = new ProgressRenderer(s.out, { tty: true, width: 200, now: () => now });
  for (const m of pull.slice(0, 4)) r.render(m);
  now += 1000;
  r.render(pull[4]!);
  const out = s.text();
  // aaa is the first of two layer lines: redrawing it moves up 2 and back down 2.
  assert.ok(out.includes('\x1b[2A\x1b[2K\raaa: Downloading [============>                                      ]      1kB/4kB\r\x1b[2B'), JSON.stringify(out));
  assert.ok(out.includes('aaa: Downloading [=====================================>             ]      3kB/4kB  2kB/s\r'), JSON.stringify(out));
  assert.ok(out.includes('\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B'));
  // A plain status after the layers starts a new block, below them.
  r.render(pull[7]!);
  assert.ok(s.text().endsWith('Digest: sha256:abc\n'));
  // Narrow terminals get sizes without the bar.
  const n = sink();
  const narrow = new ProgressRenderer(n.out, { tty: true, width: 80 });
  narrow.render({ status: 'Pushing', progressDetail: { current: 1500, total: 3000 }, id: 'x' });
  assert.equal(n.text(), '\n\x1b[1A\x1b[2K\rx: Pushing    1.5kB/3kB\r\x1b[1B');
});

test('an error message in the stream rejects with its text; aux values go to the callback', async () => {
  const s = sink();
  const aux: unknown[] = [];
  const msgs: JsonMessage[] = [
    { progressDetail: {}, aux: { Tag: 'v1', Digest: 'sha256:x', Size: 5 } },
    { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' },
  ];
  await assert.rejects(
    renderProgress((async function* () { yield* msgs; })(), s.out, { tty: false }, (a) => aux.push(a)),
    (e: unknown) => e instanceof StreamError && e.message === 'unauthorized: authentication required',
  );
  assert.deepEqual(aux, [{ Tag: 'v1', Digest: 'sha256:x', Size: 5 }]);
  assert.equal(s.text(), '');
});

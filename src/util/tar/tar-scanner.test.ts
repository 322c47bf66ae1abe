import { test } from 'node:test';
import assert from 'node:assert/strict';
import tar from 'tar-stream';
import { TarScanner } from './tar-scanner.js';
import { encodePaxRecords, parsePaxRecords } from './pax.js';
import { packEntries } from './pack-entries.js';
import { bytesOf, tarOf } from './layer-fixtures.js';

async function byteOffsets(bytes: Buffer): Promise<Map<string, number>> {
  const extract = tar.extract();
  const offsets = new Map<string, number>();
  const reading = (async () => {
    for await (const entry of extract) {
      offsets.set(entry.header.name, (entry.header as unknown as { byteOffset: number }).byteOffset);
      if (entry.header.type !== 'directory') for await (const _ of entry) void _;
    }
  })();
  extract.end(bytes);
  await reading;
  return offsets;
}

test('PAX records round-trip byte-exact values, with lengths as Go writes them', () => {
  const binary = Buffer.from([0x80, 0x00, 0x0a, 0x3d, 0xff]);
  const encoded = encodePaxRecords([
    ['path', 'a/b'],
    ['SCHILY.xattr.security.capability', binary],
    ['x'.repeat(90), 'y'],
  ]);
  assert.equal(encoded.subarray(0, 12).toString(), '12 path=a/b\n');
  const parsed = parsePaxRecords(encoded);
  assert.equal(parsed.get('path')!.toString(), 'a/b');
  assert.ok(parsed.get('SCHILY.xattr.security.capability')!.equals(binary));
  assert.equal(parsed.get('x'.repeat(90))!.toString(), 'y');
  // where adding the length's own digits adds a digit: 98 + 2 = 100 needs three, so 101
  assert.equal(encodePaxRecords([['k', 'v'.repeat(93)]]).subarray(0, 3).toString(), '99 ');
  const edge = encodePaxRecords([['k', 'v'.repeat(94)]]);
  assert.equal(edge.length, 101);
  assert.equal(edge.subarray(0, 4).toString(), '101 ');
  assert.equal(parsePaxRecords(edge).get('k')!.toString(), 'v'.repeat(94));
});

test('TarScanner pairs raw PAX records with the offsets tar-stream reports, across any chunking', async () => {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xc3]);
  const bytes = await bytesOf(
    packEntries([
      { name: 'd', type: 'directory' },
      { name: 'd/plain', type: 'file', content: 'x'.repeat(700) },
      { name: 'd/' + 'long'.repeat(40), type: 'file', content: 'y', xattrs: new Map([['security.capability', cap]]) },
      { name: 'last', type: 'file', content: 'z', xattrs: new Map([['user.a', Buffer.from('b')]]) },
    ]),
  );
  const offsets = await byteOffsets(bytes);
  for (const chunkSize of [1, 511, 512, 513, bytes.length]) {
    const scanner = new TarScanner();
    let claimed = 0;
    for (let i = 0; i < bytes.length; i += chunkSize) claimed += scanner.write(bytes.subarray(i, i + chunkSize));
    assert.equal(scanner.ended, true);
    assert.equal(claimed, bytes.length, 'the archive ends with its own end marker');
    assert.ok(scanner.take(offsets.get('d/' + 'long'.repeat(40))!)!.get('SCHILY.xattr.security.capability')!.equals(cap), `chunk ${chunkSize}`);
    assert.equal(scanner.take(offsets.get('last')!)!.get('SCHILY.xattr.user.a')!.toString(), 'b');
    assert.equal(scanner.take(offsets.get('d/plain')!), undefined);
  }
});

test('TarScanner claims only the bytes up to the end marker', async () => {
  const bytes = await tarOf([{ header: { name: 'f' }, content: 'abc' }, { header: { name: 'd/', type: 'directory' } }]);
  const archiveLength = 512 * 4; // f header + data block + d/ header + one zero block … then the second
  const scanner = new TarScanner();
  const junk = Buffer.concat([bytes, Buffer.alloc(4096, 0x41)]);
  const claimed = scanner.write(junk);
  assert.equal(claimed, archiveLength + 512);
  assert.equal(scanner.write(Buffer.from('more')), 0);
});

test('TarScanner gives up on what it cannot follow and then claims everything', () => {
  const scanner = new TarScanner();
  const header = Buffer.alloc(512);
  header.write('f', 0);
  header.write('zzzzzzzzzzz', 124); // not an octal size
  header[156] = 0x30;
  assert.equal(scanner.write(Buffer.concat([header, Buffer.alloc(100)])), 612);
  assert.equal(scanner.ended, false);
});

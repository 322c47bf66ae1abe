/**
 * Hostile and broken input against a real registry process: wrong digests, oversized and cut-off
 * uploads, bad Content-Range, path tricks in names, malformed manifests and manifests pointing at
 * missing blobs. Each gets the spec's error, and the storage directory is checked to hold nothing
 * new. Also: deletes refused when disabled, and every write refused in read-only mode.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { sha256Digest } from '../../src/util/digest.js';
import { mediaTypes } from '../../src/distribution/index.js';
import { call, makeTempDir, removeDir, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';

let reg: RegistryProcess;
const repo = 'hostile/app';

test.before(async () => {
  reg = await startRegistry();
});
test.after(async () => {
  await reg?.stop();
  if (reg) removeDir(reg.root);
});

const u = (p: string) => `${reg.url}${p}`;

/** Every file under blobs/ and repositories/ (what a refused request must not change). */
function stored(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(join(root, 'blobs'));
  walk(join(root, 'repositories'));
  walk(join(root, 'ingest'));
  return out.sort();
}

async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = stored(reg.root);
  await fn();
  assert.deepEqual(stored(reg.root), before, 'the storage directory is as it was');
}

/** Sends raw bytes on a fresh connection and returns what comes back (until the server closes or `waitMs`). */
function raw(bytes: string | Buffer, opts: { endAfter?: boolean; waitMs?: number } = {}): Promise<string> {
  const { hostname, port } = new URL(reg.url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    let got = '';
    s.on('data', (c) => (got += c.toString()));
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    s.write(bytes, () => {
      if (opts.endAfter) s.end();
    });
    setTimeout(() => s.destroy(), opts.waitMs ?? 1500);
  });
}

test('wrong digests: a monolithic push, a closing PUT and a digest of another algorithm are refused', async () => {
  await unchanged(async () => {
    const body = Buffer.from('the real content');
    const r = await call(u(`/v2/${repo}/blobs/uploads/?digest=${sha256Digest('other content')}`), { method: 'POST', body });
    assert.equal(r.status, 400);
    assert.equal(r.json.errors[0].code, 'DIGEST_INVALID');
    const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    const put = await call(u(`${post.headers.get('location')}?digest=${sha256Digest('nope')}`), { method: 'PUT', body });
    assert.equal(put.status, 400);
    assert.equal(put.json.errors[0].code, 'DIGEST_INVALID');
    const sha512 = await call(u(`/v2/${repo}/blobs/uploads/?digest=sha512:${'ab'.repeat(64)}`), { method: 'POST', body });
    assert.equal(sha512.status, 400);
    assert.equal(sha512.json.errors[0].code, 'DIGEST_INVALID');
    const garbage = await call(u(`/v2/${repo}/blobs/not-a-digest`));
    assert.equal(garbage.status, 400);
    const noDigest = await call(u(`${(await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' })).headers.get('location')}`), { method: 'PUT', body });
    assert.equal(noDigest.json.errors[0].code, 'DIGEST_INVALID');
  });
});

test('size: a body shorter than its Content-Length (connection cut) and a chunk length mismatch store nothing', async () => {
  await unchanged(async () => {
    const d = sha256Digest(Buffer.alloc(100, 1));
    // Claims 100 bytes, sends 40, then the client goes away.
    await raw(`POST /v2/${repo}/blobs/uploads/?digest=${d} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${'\x01'.repeat(40)}`, { endAfter: true });
    await new Promise((r) => setTimeout(r, 300));
    // More bytes than declared: the extra is not part of the blob (and is no valid request).
    const more = await raw(`POST /v2/${repo}/blobs/uploads/?digest=${sha256Digest(Buffer.alloc(10, 2))} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n${'\x02'.repeat(10)}`);
    assert.match(more, /^HTTP\/1.1 400/);
    const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    const loc = post.headers.get('location')!;
    const mismatch = await call(u(loc), { method: 'PATCH', body: Buffer.alloc(10), headers: { 'Content-Range': '0-19' } });
    assert.equal(mismatch.status, 416);
    const status = await call(u(loc));
    assert.equal(status.headers.get('range'), '0-0', 'the refused chunk left no bytes');
    await call(u(loc), { method: 'DELETE' });
  });
});

test('a chunk cut off mid-way is cut back off the upload: the upload stays resumable where it was', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
  const loc = post.headers.get('location')!;
  assert.equal((await call(u(loc), { method: 'PATCH', body: Buffer.alloc(50, 7), headers: { 'Content-Range': '0-49' } })).status, 202);
  await raw(`PATCH ${loc} HTTP/1.1\r\nHost: x\r\nContent-Range: 50-149\r\nContent-Length: 100\r\n\r\n${'\x07'.repeat(30)}`, { endAfter: true });
  await new Promise((r) => setTimeout(r, 300));
  const status = await call(u(loc));
  assert.equal(status.headers.get('range'), '0-49');
  const rest = Buffer.alloc(100, 7);
  assert.equal((await call(u(loc), { method: 'PATCH', body: rest, headers: { 'Content-Range': '50-149' } })).status, 202);
  const whole = Buffer.alloc(150, 7);
  assert.equal((await call(u(`${loc}?digest=${sha256Digest(whole)}`), { method: 'PUT' })).status, 201);
  assert.deepEqual((await call(u(`/v2/${repo}/blobs/${sha256Digest(whole)}`))).body, whole);
});

test('bad Content-Range: malformed, backwards, or not where the upload stands, is 416 and adds nothing', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
  const loc = post.headers.get('location')!;
  for (const cr of ['abc', '5-1', '-5', '1-10', 'bytes=0-']) {
    const r = await call(u(loc), { method: 'PATCH', body: Buffer.alloc(10), headers: { 'Content-Range': cr } });
    assert.equal(r.status, 416, cr);
    assert.equal(r.json.errors[0].code, 'RANGE_INVALID');
  }
  assert.equal((await call(u(loc))).headers.get('range'), '0-0');
  // The session of one repository is unknown to another.
  const other = await call(u(loc.replace(repo, 'other/repo')));
  assert.equal(other.status, 404);
  assert.equal(other.json.errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
  const forged = await call(u(`/v2/${repo}/blobs/uploads/..%2F..%2Fregistry.lock`));
  assert.equal(forged.status, 404);
  await call(u(loc), { method: 'DELETE' });
});

test('path tricks in names never reach the filesystem: NAME_INVALID, nothing written outside or inside the root', async () => {
  const outside = makeTempDir('berth-escape-');
  try {
    await unchanged(async () => {
      const body = Buffer.from('escape');
      const d = sha256Digest(body);
      for (const name of ['..', '../..', 'a/../../b', 'a%2F..%2F..%2Fb', '%2e%2e/x', 'UPPER', 'a//b', '_internal', 'a/_layers', '.hidden', `a/${'b'.repeat(300)}`]) {
        const r = await call(u(`/v2/${name}/blobs/uploads/?digest=${d}`), { method: 'POST', body });
        assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status}`);
        if (r.status === 400) assert.equal(r.json.errors[0].code, 'NAME_INVALID', name);
        const m = await call(u(`/v2/${name}/manifests/latest`));
        assert.ok(m.status === 400 || m.status === 404);
      }
      // Raw paths, as no URL library would normalize them: dot segments reach the server untouched.
      for (const path of ['/v2/../../etc/blobs/uploads/', '/v2/a/./b/blobs/uploads/', '/v2/a/../../../tmp/blobs/uploads/']) {
        const got = await raw(`POST ${path}?digest=${d} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\nescape`);
        assert.match(got, /^HTTP\/1.1 400/, path);
        assert.match(got, /NAME_INVALID/, path);
      }
      // A tag with a path in it is no tag.
      const t = await call(u(`/v2/${repo}/manifests/..%2F..%2Fx`), { method: 'PUT', body: Buffer.from('{}'), headers: { 'Content-Type': mediaTypes.ociManifest } });
      assert.equal(t.status, 400);
    });
    assert.deepEqual(readdirSync(outside), []);
  } finally {
    removeDir(outside);
  }
});

test('malformed manifests and manifests with missing blobs are refused with the spec codes, nothing stored', async () => {
  const config = Buffer.from('{"os":"linux","architecture":"amd64"}');
  assert.equal((await call(u(`/v2/${repo}/blobs/uploads/?digest=${sha256Digest(config)}`), { method: 'POST', body: config })).status, 201);
  await unchanged(async () => {
    const put = (ref: string, body: Buffer | string, type: string = mediaTypes.ociManifest) =>
      call(u(`/v2/${repo}/manifests/${ref}`), { method: 'PUT', body: Buffer.from(body), headers: { 'Content-Type': type } });
    const cfg = { mediaType: mediaTypes.ociConfig, digest: sha256Digest(config), size: config.length };
    const cases: Array<[string, Buffer | string, string, string?]> = [
      ['not json', '{nope', 'MANIFEST_INVALID'],
      ['array', '[]', 'MANIFEST_INVALID'],
      ['schema 1', JSON.stringify({ schemaVersion: 1, name: 'x' }), 'MANIFEST_INVALID'],
      ['no config', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] }), 'MANIFEST_INVALID'],
      ['bad digest', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { ...cfg, digest: 'sha256:zz' }, layers: [] }), 'MANIFEST_INVALID'],
      ['type mismatch', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] }), 'MANIFEST_INVALID', mediaTypes.ociManifest],
      ['missing layer', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: cfg, layers: [{ mediaType: mediaTypes.ociLayer, digest: sha256Digest('absent'), size: 6 }] }), 'MANIFEST_BLOB_UNKNOWN'],
      ['missing config', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { ...cfg, digest: sha256Digest('no config'), size: 9 }, layers: [] }), 'MANIFEST_BLOB_UNKNOWN'],
      ['wrong size', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { ...cfg, size: 1 }, layers: [] }), 'MANIFEST_INVALID'],
    ];
    for (const [what, body, code, type] of cases) {
      const r = await put(`t-${what.replace(/ /g, '-')}`, body, type);
      assert.equal(r.status, 400, what);
      assert.equal(r.json.errors[0].code, code, what);
    }
    // The digest in the URL must be the manifest's.
    const ok = JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: cfg, layers: [] });
    const wrong = await put(sha256Digest('something else'), ok);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.errors[0].code, 'DIGEST_INVALID');
    // Over 4 MiB: 413, read no further.
    const big = await put('big', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    assert.equal(big.status, 413);
  });
});

test('unknown endpoints and methods answer 404/405 in the spec format', async () => {
  const r = await call(u('/v2/x/whatever'));
  assert.equal(r.status, 404);
  assert.ok(Array.isArray(r.json.errors));
  const m = await call(u(`/v2/${repo}/tags/list`), { method: 'POST' });
  assert.equal(m.status, 405);
  assert.equal(m.json.errors[0].code, 'UNSUPPORTED');
  const del = await call(u(`/v2/${repo}/manifests/latest`), { method: 'DELETE' });
  assert.equal(del.status, 405, 'delete is disabled by default');
  assert.equal(del.json.errors[0].code, 'UNSUPPORTED');
  const delBlob = await call(u(`/v2/${repo}/blobs/${sha256Digest('x')}`), { method: 'DELETE' });
  assert.equal(delBlob.status, 405);
});

test('read-only mode: every write is 405 UNSUPPORTED, reads work', async () => {
  await reg.stop();
  const ro = await startRegistry({ root: reg.root, args: ['--read-only', '--delete-enabled'] });
  try {
    const before = stored(reg.root);
    const body = Buffer.from('ro');
    const post = await call(`${ro.url}/v2/${repo}/blobs/uploads/?digest=${sha256Digest(body)}`, { method: 'POST', body });
    assert.equal(post.status, 405);
    assert.equal(post.json.errors[0].code, 'UNSUPPORTED');
    assert.equal((await call(`${ro.url}/v2/${repo}/manifests/x`, { method: 'PUT', body: '{}' })).status, 405);
    assert.equal((await call(`${ro.url}/v2/${repo}/blobs/${sha256Digest('x')}`, { method: 'DELETE' })).status, 405);
    assert.equal((await call(`${ro.url}/v2/${repo}/tags/list`)).status, 200);
    assert.deepEqual(stored(reg.root), before);
  } finally {
    await ro.stop();
  }
  reg = await startRegistry({ root: reg.root });
});

test('the serve command refuses bad settings and a root another server holds, with a clear message', async () => {
  const { run: runCmd } = await import('../helpers/registry-process.js');
  const { repoRoot } = await import('../helpers/test-daemon.js');
  const berth = join(repoRoot, 'dist/src/bin/berth.js');
  const bad = await runCmd(process.execPath, ['--', berth, 'registry', 'serve', '--addr', 'nowhere', '--root', reg.root]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /addr "nowhere" must be HOST:PORT/);
  const busy = await runCmd(process.execPath, ['--', berth, 'registry', 'serve', '--addr', '127.0.0.1:0', '--root', reg.root]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /serves it already/);
  const noFile = await runCmd(process.execPath, ['--', berth, 'registry', 'serve', '--addr', '127.0.0.1:0', '--root', reg.root, '--htpasswd', '/nonexistent/htpasswd']);
  assert.equal(noFile.code, 1);
  assert.match(noFile.stderr, /Cannot read htpasswd file \/nonexistent\/htpasswd/);
});

/**
 * kill -9 of the registry in the middle of uploads: after a restart on the same root the storage
 * is consistent (every blob is named by the digest of its bytes, no half-written ingest, the stale
 * lock taken over), an interrupted chunked upload resumes where it stood, and skopeo's push completes.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest } from '../../src/util/digest.js';
import { makeImage, writeOciLayout } from '../helpers/registry-fixtures.js';
import { call, makeTempDir, removeDir, run, startRegistry } from '../helpers/registry-process.js';
import { spawn } from 'node:child_process';

function checkConsistent(root: string): number {
  let blobs = 0;
  const dir = join(root, 'blobs', 'sha256');
  for (const p of readdirSync(dir)) {
    for (const hex of readdirSync(join(dir, p))) {
      assert.equal(sha256Digest(readFileSync(join(dir, p, hex))), `sha256:${hex}`, `blob ${hex} is whole`);
      blobs++;
    }
  }
  assert.deepEqual(readdirSync(join(root, 'ingest')), [], 'no half-written ingest');
  return blobs;
}

test('kill -9 mid-upload: restart, storage consistent, the chunked upload resumes and skopeo completes the push', async () => {
  const work = makeTempDir('berth-regcrash-');
  const img = await makeImage({ seed: 'crash', layerCount: 3, layerBytes: 8_000_000 });
  writeOciLayout(join(work, 'img'), img, 'latest');
  let reg = await startRegistry();
  const root = reg.root;
  try {
    // A chunked upload with its first chunk in.
    const post = await call(`${reg.url}/v2/crash/manual/blobs/uploads/`, { method: 'POST' });
    const loc = post.headers.get('location')!;
    const data = Buffer.alloc(300_000, 9);
    assert.equal((await call(`${reg.url}${loc}`, { method: 'PATCH', body: data.subarray(0, 100_000), headers: { 'Content-Range': '0-99999' } })).status, 202);

    // skopeo pushes; the registry is killed while layer bytes are arriving.
    const skopeo = spawn('skopeo', ['copy', '--dest-tls-verify=false', '--retry-times', '0', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/crash/app:v1`], { stdio: 'ignore' });
    const skopeoDone = new Promise<number | null>((r) => skopeo.once('exit', r));
    const deadline = Date.now() + 60_000;
    let killedMidUpload = false;
    while (Date.now() < deadline) {
      const busy = readdirSync(join(root, 'uploads')).some((id) => id !== loc.split('/').pop() && existsSync(join(root, 'uploads', id, 'data')) && statSync(join(root, 'uploads', id, 'data')).size > 0);
      const ingesting = readdirSync(join(root, 'ingest')).length > 0;
      if (busy || ingesting) {
        await reg.kill9();
        killedMidUpload = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(killedMidUpload, 'caught skopeo mid-upload');
    assert.notEqual(await skopeoDone, 0, 'the interrupted push failed');
    assert.ok(existsSync(join(root, 'registry.lock')), 'the crash left its lock');

    reg = await startRegistry({ root });
    checkConsistent(root);
    // The manual upload is where it stood, and completes.
    const status = await call(`${reg.url}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-99999');
    assert.equal((await call(`${reg.url}${loc}`, { method: 'PATCH', body: data.subarray(100_000), headers: { 'Content-Range': '100000-299999' } })).status, 202);
    assert.equal((await call(`${reg.url}${loc}?digest=${sha256Digest(data)}`, { method: 'PUT' })).status, 201);

    const again = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/crash/app:v1`], { timeoutMs: 180_000 });
    assert.equal(again.code, 0, again.stderr);
    const out = join(work, 'out');
    const pull = await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/crash/app:v1`, `oci:${out}:v1`], { timeoutMs: 180_000 });
    assert.equal(pull.code, 0, pull.stderr);
    for (const l of img.layers) assert.equal(sha256Digest(readFileSync(join(out, 'blobs', 'sha256', l.digest.slice(7)))), l.digest);
    assert.ok(checkConsistent(root) >= 5);
  } finally {
    await reg.stop();
    removeDir(root);
    removeDir(work);
  }
});

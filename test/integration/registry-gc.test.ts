/**
 * Garbage collection while serving: many clients push the same blobs and manifests at once (and
 * delete some) while the registry collects every 100 ms. No push may fail, nothing a manifest
 * references may go missing, and blobs nobody references are collected once the grace period ends.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest } from '../../src/util/digest.js';
import { mediaTypes } from '../../src/distribution/index.js';
import { makeImage, type Blob, type TestImage } from '../helpers/registry-fixtures.js';
import { call, removeDir, startRegistry } from '../helpers/registry-process.js';

async function pushBlob(url: string, repo: string, b: Blob): Promise<void> {
  const head = await call(`${url}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const post = await call(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const loc = post.headers.get('location')!;
  const half = Math.floor(b.bytes.length / 2);
  const p = await call(`${url}${loc}`, { method: 'PATCH', body: b.bytes.subarray(0, half), headers: { 'Content-Range': `0-${half - 1}` } });
  assert.equal(p.status, 202);
  const put = await call(`${url}${p.headers.get('location')}?digest=${b.digest}`, { method: 'PUT', body: b.bytes.subarray(half) });
  assert.equal(put.status, 201, `blob ${b.digest}: ${put.body}`);
}

async function pushImage(url: string, repo: string, tag: string, img: TestImage): Promise<void> {
  await Promise.all([img.config, ...img.layers].map((b) => pushBlob(url, repo, b)));
  const r = await call(`${url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: img.manifest.bytes, headers: { 'Content-Type': mediaTypes.ociManifest } });
  assert.equal(r.status, 201, `manifest ${repo}:${tag}: ${r.body}`);
}

test('concurrent pushes of the same blobs with GC running beside them lose nothing referenced', async () => {
  const images = await Promise.all([0, 1, 2].map((i) => makeImage({ seed: `gc-${i}`, layerCount: 3, layerBytes: 50_000 })));
  const reg = await startRegistry({ args: ['--gc-interval', '100ms', '--gc-grace', '3s', '--delete-enabled', '--access-log=false'] });
  try {
    // Orphans: pushed, never referenced. They must survive the grace period and go after it.
    const orphans = [Buffer.from('orphan one'), Buffer.from('orphan two')].map((bytes) => ({ bytes, digest: sha256Digest(bytes), mediaType: 'application/octet-stream' }));
    for (const o of orphans) await pushBlob(reg.url, 'orphans', o);
    const t0 = Date.now();

    const clients = 8;
    const rounds = 6;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let r = 0; r < rounds; r++) {
          const img = images[(c + r) % images.length]!;
          const repo = `shared/app${c % 3}`;
          await pushImage(reg.url, repo, `c${c}-r${r}`, img);
          // Some clients delete what they pushed, making blobs unreferenced while others push them again.
          if (c % 4 === 0 && r % 2 === 1) {
            const del = await call(`${reg.url}/v2/${repo}/manifests/${img.manifest.digest}`, { method: 'DELETE' });
            assert.ok(del.status === 202 || del.status === 404);
          }
        }
      }),
    );
    // One last round from everyone so each repository references each image.
    for (let i = 0; i < 3; i++) for (const [k, img] of images.entries()) await pushImage(reg.url, `shared/app${i}`, `final-${k}`, img);

    // Every manifest that is still there is whole: all its blobs are pullable with the right bytes.
    for (let i = 0; i < 3; i++) {
      const tags = (await call(`${reg.url}/v2/shared/app${i}/tags/list`)).json.tags as string[];
      assert.ok(tags.length >= 3);
      for (const tag of tags) {
        const m = await call(`${reg.url}/v2/shared/app${i}/manifests/${tag}`);
        assert.equal(m.status, 200);
        const doc = JSON.parse(m.body.toString());
        for (const desc of [doc.config, ...doc.layers]) {
          const b = await call(`${reg.url}/v2/shared/app${i}/blobs/${desc.digest}`);
          assert.equal(b.status, 200, `${tag}: ${desc.digest}`);
          assert.equal(sha256Digest(b.body), desc.digest);
        }
      }
    }
    // Past the grace period the orphans go; the collector ran many times meanwhile.
    const wait = t0 + 4000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await new Promise((r) => setTimeout(r, 500));
    for (const o of orphans) {
      assert.equal(existsSync(join(reg.root, 'blobs', 'sha256', o.digest.slice(7, 9), o.digest.slice(7))), false, 'orphan collected');
      assert.equal((await call(`${reg.url}/v2/orphans/blobs/${o.digest}`, { method: 'HEAD' })).status, 404);
    }
    const metrics = (await call(`${reg.url}/metrics`)).body.toString();
    const runs = Number(/^berth_registry_gc_runs_total (\d+)$/m.exec(metrics)![1]);
    const deleted = Number(/^berth_registry_gc_blobs_deleted_total (\d+)$/m.exec(metrics)![1]);
    assert.ok(runs >= 10, `gc ran ${runs} times`);
    assert.ok(deleted >= orphans.length, `gc deleted ${deleted} blobs`);
    assert.doesNotMatch(reg.logs(), /"level":"error"/);
  } finally {
    await reg.stop();
    removeDir(reg.root);
  }
});

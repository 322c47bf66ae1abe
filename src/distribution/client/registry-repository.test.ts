/**
 * Repository behaviour that needs a registry to do unusual things (node http on 127.0.0.1):
 * blob redirects to another host (Authorization dropped) and to the same host (kept), mirrors
 * tried in order for docker.io, tag pagination by Link, and input refused before any request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256Digest } from '../../util/digest.js';
import { parseReference } from '../../util/reference.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { startFakeRegistry } from '../../../test/helpers/fake-registry.js';
import { makeImage, readAll } from '../../../test/helpers/oci-content.js';
import { RegistryError } from '../registry-errors.js';
import { mediaTypes } from '../media-types.js';
import { RegistryClient } from './registry-client.js';

const blob = randomBytes(100_000);
const desc = { mediaType: mediaTypes.ociLayerGzip, digest: sha256Digest(blob), size: blob.length };
const basic = 'Basic ' + Buffer.from('u:p').toString('base64');

test('blob redirects: Authorization goes along on the same host, never to another host', async () => {
  const cdn = await startFakeRegistry((req, res) => {
    if (req.url!.startsWith('/cdn/blob')) {
      res.writeHead(200, { 'Content-Length': String(blob.length) }).end(blob);
      return true;
    }
    return false;
  });
  const reg = await startFakeRegistry((req, res) => {
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      return true;
    }
    if (req.url === `/v2/a/b/blobs/${desc.digest}`) {
      res.writeHead(307, { Location: '/v2/a/b/moved' }).end();
      return true;
    }
    if (req.url === '/v2/a/b/moved') {
      res.writeHead(302, { Location: `http://${cdn.host}/cdn/blob?sig=x` }).end();
      return true;
    }
    return false;
  });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${reg.host}/a/b`), { username: 'u', password: 'p' });
    assert.ok((await readAll(r.fetchBlob(desc))).equals(blob));
    assert.equal(reg.requests.find((q) => q.url === '/v2/a/b/moved')?.headers.authorization, basic, 'same host keeps it');
    const atCdn = cdn.requests.filter((q) => q.url.startsWith('/cdn/'));
    assert.equal(atCdn.length, 1);
    assert.equal(atCdn[0]!.headers.authorization, undefined, 'another host never sees it');
  } finally {
    client.close();
    await reg.stop();
    await cdn.stop();
  }
});

test('docker.io reads go to the mirrors in order; a failing mirror falls through to the next', async () => {
  const img = makeImage([10]);
  const broken = await startFakeRegistry((req, res) => {
    if (req.url === '/v2/') return false;
    res.writeHead(500).end('mirror down');
    return true;
  });
  const working = await startFakeRegistry((req, res) => {
    if (req.url === '/v2/library/busybox/manifests/latest') {
      res.writeHead(200, { 'Content-Type': img.manifestType }).end(img.manifest);
      return true;
    }
    if (req.url === `/v2/library/busybox/blobs/${desc.digest}`) {
      res.writeHead(200, { 'Content-Length': String(blob.length) }).end(blob);
      return true;
    }
    return false;
  });
  const asked: string[] = [];
  const client = new RegistryClient({ certsDirs: [], mirrors: [`http://${broken.host}`, working.host], credentials: (h) => void asked.push(h) });
  try {
    const r = client.repository(parseReference('busybox'));
    assert.equal(r.name, 'docker.io/library/busybox');
    const m = await r.getManifest('latest');
    assert.ok(m.bytes.equals(img.manifest));
    assert.ok((await readAll(r.fetchBlob(desc))).equals(blob));
    assert.ok(broken.requests.some((q) => q.url === '/v2/library/busybox/manifests/latest'), 'the first mirror was tried');
    assert.ok(broken.requests.some((q) => q.url.includes('/blobs/')), 'the first mirror was tried for the blob');
    assert.deepEqual([...new Set(asked)].sort(), [broken.host, working.host].sort(), 'each mirror gets its own credentials, never Docker Hub\'s');
    // Other registries never use mirrors.
    const other = client.repository(parseReference(`${working.host}/library/busybox`));
    assert.ok((await other.getManifest('latest')).bytes.equals(img.manifest));
  } finally {
    client.close();
    await broken.stop();
    await working.stop();
  }
});

test('listTags follows Link pagination unless n is given; refuses a Link to another host', async () => {
  const pages: Record<string, { tags: string[]; next?: string }> = {
    '': { tags: ['a', 'b'], next: '/v2/a/b/tags/list?last=b&n=2' },
    'last=b&n=2': { tags: ['c', 'd'], next: '/v2/a/b/tags/list?last=d&n=2' },
    'last=d&n=2': { tags: ['e'] },
  };
  let evil = false;
  const reg = await startFakeRegistry((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== '/v2/a/b/tags/list') return false;
    url.searchParams.sort();
    const page = pages[url.searchParams.has('last') ? url.searchParams.toString() : '']!;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (evil) headers.Link = '<http://elsewhere.invalid/v2/a/b/tags/list?last=b>; rel="next"';
    else if (page.next) headers.Link = `<${page.next}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ name: 'a/b', tags: page.tags }));
    return true;
  });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${reg.host}/a/b`));
    assert.deepEqual(await r.listTags(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(await r.listTags({ n: 2 }), ['a', 'b']);
    assert.deepEqual(await r.listTags({ n: 2, last: 'b' }), ['c', 'd']);
    evil = true;
    await assert.rejects(r.listTags(), (e: Error) => e instanceof RegistryError && /paginates tags to another host \(elsewhere.invalid\)/.test(e.message));
  } finally {
    client.close();
    await reg.stop();
  }
});

test('bad input is refused before any request', async () => {
  const reg = await startFakeRegistry(() => false);
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${reg.host}/a/b`));
    await assert.rejects(r.getManifest('../x'), InvalidArgumentError);
    await assert.rejects(r.headManifest('sha256:abc'), InvalidArgumentError);
    await assert.rejects(r.putManifest('v1', Buffer.from('{}'), mediaTypes.ociManifest), (e: Error) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID');
    const img = makeImage([5]);
    await assert.rejects(r.putManifest(sha256Digest('other'), img.manifest, img.manifestType), /does not match the reference/);
    await assert.rejects(r.statBlob('sha256:nope' as never), InvalidArgumentError);
    assert.throws(() => r.fetchBlob({ ...desc, size: -1 }), (e: Error) => e instanceof InvalidArgumentError && e.message === 'invalid descriptor.size must be a non-negative integer');
    await assert.rejects(r.pushBlob({ ...desc, digest: 'md5:x' as never }, () => { throw new Error('not opened'); }), (e: Error) => e instanceof InvalidArgumentError && /descriptor.digest is missing, malformed or not sha256/.test(e.message));
    await assert.rejects(r.listTags({ n: -1 }), InvalidArgumentError);
    assert.equal(reg.requests.length, 0);
  } finally {
    client.close();
    await reg.stop();
  }
});

test('a fixed scheme is used as given: plain http to a host that is not insecure (a proxy\'s remote URL)', async () => {
  const reg = await startFakeRegistry((req, res) => {
    if (req.url === `/v2/a/b/blobs/${desc.digest}`) {
      res.writeHead(200, { 'Content-Length': String(blob.length) }).end(blob);
      return true;
    }
    return false;
  });
  // Loopback counts as secure here, so without the scheme only https would be tried.
  const client = new RegistryClient({ certsDirs: [], loopbackInsecure: false, retries: 0 });
  try {
    await assert.rejects(client.repository(parseReference(`${reg.host}/a/b`)).statBlob(desc.digest), /https|TLS|tls|EPROTO|connect/i);
    const r = client.repository(parseReference(`${reg.host}/a/b`), undefined, { scheme: 'http' });
    assert.equal(await r.statBlob(desc.digest), blob.length);
    assert.ok((await readAll(r.fetchBlob(desc))).equals(blob));
  } finally {
    client.close();
    await reg.stop();
  }
});

/**
 * An in-memory registry with the RegistryAccess shape, for the engine's unit tests: blobs and
 * manifests per repository, verified on fetch as the real client verifies them, with counters of
 * what was fetched and pushed and a hook to serve altered bytes. Integration tests use the real
 * client against a real registry instead.
 */
import { Readable } from 'node:stream';
import { parseManifest, type Descriptor } from '../../distribution/index.js';
import { Digester, sha256Digest, type Digest } from '../../util/digest.js';
import { NotFoundError, InvalidArgumentError } from '../../util/errors.js';
import { repositoryName, type Reference } from '../../util/reference.js';
import type { FetchedManifest, PushBlobResult, RegistryAccess, RegistryCredentials, RemoteRepository } from './remote.js';

export class MemoryRegistry implements RegistryAccess {
  readonly blobs = new Map<string, Map<string, Buffer>>();
  readonly manifests = new Map<string, Map<string, { bytes: Buffer; mediaType: string }>>();
  readonly blobGets: string[] = [];
  readonly pushes: Array<{ repo: string; digest: string; result: PushBlobResult }> = [];
  /** Bytes to serve instead of a blob's own (hostile registry tests). */
  tamper?: (digest: string, bytes: Buffer) => Buffer | Readable;
  /** Called before each blob chunk is served (lets a test hold a download mid-way). */
  chunkDelay?: () => Promise<void>;
  credentialsSeen: Array<RegistryCredentials | undefined> = [];

  repository(ref: Reference, creds?: RegistryCredentials): RemoteRepository {
    this.credentialsSeen.push(creds);
    return new MemoryRepository(this, repositoryName(ref));
  }

  async login(_host: string, creds: RegistryCredentials): Promise<{ identityToken?: string; status: 'Login Succeeded' }> {
    if (creds.username !== 'user' || creds.password !== 'pass') throw new InvalidArgumentError('unauthorized: incorrect username or password');
    return { status: 'Login Succeeded' };
  }

  blobStore(repo: string): Map<string, Buffer> {
    let m = this.blobs.get(repo);
    if (!m) this.blobs.set(repo, (m = new Map()));
    return m;
  }

  manifestStore(repo: string): Map<string, { bytes: Buffer; mediaType: string }> {
    let m = this.manifests.get(repo);
    if (!m) this.manifests.set(repo, (m = new Map()));
    return m;
  }

  /** Stores a blob in `repo` and returns its descriptor. */
  putBlob(repo: string, bytes: Buffer, mediaType: string): Descriptor {
    const digest = sha256Digest(bytes);
    this.blobStore(repo).set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  }

  /** Stores a manifest under its digest and the given tags. */
  putManifestBytes(repo: string, bytes: Buffer, mediaType: string, tags: string[] = []): Descriptor {
    const digest = sha256Digest(bytes);
    const store = this.manifestStore(repo);
    store.set(digest, { bytes, mediaType });
    for (const t of tags) store.set(t, { bytes, mediaType });
    return { mediaType, digest, size: bytes.length };
  }
}

class MemoryRepository implements RemoteRepository {
  constructor(
    private readonly reg: MemoryRegistry,
    readonly name: string,
  ) {}

  async getManifest(tagOrDigest: string): Promise<FetchedManifest> {
    const m = this.reg.manifestStore(this.name).get(tagOrDigest);
    if (!m) throw new NotFoundError(`manifest for ${this.name}:${tagOrDigest} not found: manifest unknown: manifest unknown`);
    const digest = sha256Digest(m.bytes);
    if (tagOrDigest.startsWith('sha256:') && digest !== tagOrDigest) throw new InvalidArgumentError(`manifest verification failed for digest ${tagOrDigest}`);
    return { bytes: m.bytes, mediaType: m.mediaType, digest, parsed: parseManifest(m.bytes, m.mediaType) };
  }

  async headManifest(tagOrDigest: string): Promise<Descriptor | undefined> {
    const m = this.reg.manifestStore(this.name).get(tagOrDigest);
    return m ? { mediaType: m.mediaType, digest: sha256Digest(m.bytes), size: m.bytes.length } : undefined;
  }

  async putManifest(tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const parsed = parseManifest(bytes, mediaType);
    const blobs = this.reg.blobStore(this.name);
    if (parsed.kind === 'image') {
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
        if (!blobs.has(d.digest)) throw new InvalidArgumentError(`manifest blob unknown: ${d.digest}`);
      }
    }
    this.reg.putManifestBytes(this.name, bytes, mediaType, tagOrDigest.startsWith('sha256:') ? [] : [tagOrDigest]);
    return sha256Digest(bytes);
  }

  async statBlob(digest: Digest): Promise<number | undefined> {
    return this.reg.blobStore(this.name).get(digest)?.length;
  }

  fetchBlob(desc: Descriptor, opts: { signal?: AbortSignal; onProgress?: (n: number) => void } = {}): Readable {
    this.reg.blobGets.push(`${this.name}@${desc.digest}`);
    const bytes = this.reg.blobStore(this.name).get(desc.digest);
    const reg = this.reg;
    async function* serve(): AsyncGenerator<Buffer> {
      if (!bytes) throw new NotFoundError(`blob ${desc.digest} unknown`);
      const served = reg.tamper ? reg.tamper(desc.digest, bytes) : bytes;
      const source: AsyncIterable<Buffer> = Buffer.isBuffer(served) ? chunks(served) : (served as AsyncIterable<Buffer>);
      const digester = new Digester();
      for await (const c of source) {
        if (reg.chunkDelay) await reg.chunkDelay();
        if (opts.signal?.aborted) throw new Error('aborted');
        if (digester.size + c.length > desc.size) throw new InvalidArgumentError(`blob ${desc.digest} is longer than its ${desc.size} bytes`);
        digester.update(c);
        opts.onProgress?.(digester.size);
        if (digester.size === desc.size && digester.digest() !== desc.digest) throw new InvalidArgumentError(`digest mismatch for ${desc.digest}`);
        yield c;
      }
      if (digester.size < desc.size) throw new InvalidArgumentError(`blob ${desc.digest} ended after ${digester.size} of ${desc.size} bytes`);
    }
    return Readable.from(serve(), { objectMode: false });
  }

  async pushBlob(desc: Descriptor, open: () => Readable, opts: { mountFrom?: string[]; onProgress?: (n: number) => void } = {}): Promise<PushBlobResult> {
    const blobs = this.reg.blobStore(this.name);
    let result: PushBlobResult;
    if (blobs.has(desc.digest)) result = 'exists';
    else {
      const host = this.name.split('/')[0];
      const from = opts.mountFrom?.map((p) => `${host}/${p}`).find((r) => this.reg.blobs.get(r)?.has(desc.digest));
      if (from) {
        blobs.set(desc.digest, this.reg.blobs.get(from)!.get(desc.digest)!);
        result = 'mounted';
      } else {
        const parts: Buffer[] = [];
        let n = 0;
        for await (const c of open()) {
          parts.push(c as Buffer);
          n += (c as Buffer).length;
          opts.onProgress?.(n);
        }
        const bytes = Buffer.concat(parts);
        if (sha256Digest(bytes) !== desc.digest || bytes.length !== desc.size) throw new InvalidArgumentError(`digest invalid: ${desc.digest}`);
        blobs.set(desc.digest, bytes);
        result = 'uploaded';
      }
    }
    this.reg.pushes.push({ repo: this.name, digest: desc.digest, result });
    return result;
  }

  async listTags(): Promise<string[]> {
    return [...this.reg.manifestStore(this.name).keys()].filter((k) => !k.startsWith('sha256:')).sort();
  }
}

async function* chunks(b: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += 16384) yield b.subarray(i, i + 16384);
}

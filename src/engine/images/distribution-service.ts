/**
 * The engine's registry operations in one place: pull, push, login (POST /auth) and the
 * registry lookup of GET /distribution/{name}/json. Built once per engine with the daemon's
 * registry settings; every request brings its own credentials.
 */
import type { Descriptor, Platform } from '../../distribution/index.js';
import type { ContentStore } from '../../content/index.js';
import type { Snapshotter } from '../../snapshots/index.js';
import type { ImageStore, LayerUnpacker } from '../../images/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { looksLikeFullId, parseReference, withDefaultTag } from '../../util/reference.js';
import type { EventBus } from '../events.js';
import { credentialsOf, registryHost, type AuthConfig } from './auth-config.js';
import { DistributionManifests } from './distributable.js';
import { PullService, parseImageConfig, type PullRequest } from './pull-service.js';
import { PushService, type PushRequest, type PushResult } from './push-service.js';
import type { RegistryAccess, RegistryCredentials } from './remote.js';

export interface DistributionServiceDeps {
  readonly store: ImageStore;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly unpack: LayerUnpacker;
  readonly access: RegistryAccess;
  readonly events: EventBus;
  readonly log: Logger;
  readonly inUse: () => ReadonlySet<string>;
  readonly maxConcurrentDownloads: number;
  readonly maxConcurrentUploads: number;
  readonly gzipLevel: number;
}

/** GET /distribution/{name}/json: the manifest's descriptor and the platforms it offers. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}

export class DistributionService {
  readonly pulls: PullService;
  readonly pushes: PushService;
  readonly manifests: DistributionManifests;

  constructor(private readonly d: DistributionServiceDeps) {
    this.pulls = new PullService({
      store: d.store,
      content: d.content,
      snapshots: d.snapshots,
      unpack: d.unpack,
      access: () => d.access,
      events: d.events,
      log: d.log.child({ op: 'pull' }),
      inUse: d.inUse,
      maxConcurrentDownloads: d.maxConcurrentDownloads,
    });
    this.manifests = new DistributionManifests({ store: d.store, content: d.content, log: d.log, gzipLevel: d.gzipLevel });
    this.pushes = new PushService({
      store: d.store,
      content: d.content,
      manifests: this.manifests,
      access: () => d.access,
      events: d.events,
      log: d.log.child({ op: 'push' }),
      maxConcurrentUploads: d.maxConcurrentUploads,
    });
  }

  pull(req: PullRequest): Promise<unknown> {
    return this.pulls.pull(req);
  }

  push(req: PushRequest): Promise<PushResult[]> {
    return this.pushes.push(req);
  }

  /** POST /auth: checks the credentials against the registry of `serveraddress`. */
  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    const host = registryHost(auth.serveraddress);
    const creds = credentialsOf(auth) ?? {};
    const r = await this.d.access.login(host, creds);
    return { Status: r.status, IdentityToken: r.identityToken ?? '' };
  }

  async inspect(name: string, creds: RegistryCredentials | undefined): Promise<DistributionInspect> {
    if (looksLikeFullId(name)) throw new InvalidArgumentError('no manifest found for full image ID');
    const ref = withDefaultTag(parseReference(name));
    const repo = this.d.access.repository(ref, creds);
    const m = await repo.getManifest(ref.digest ?? ref.tag!);
    const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    const platforms: Platform[] = [];
    if (m.parsed.kind === 'index') {
      for (const e of m.parsed.manifest.manifests) if (e.platform) platforms.push(e.platform);
    } else {
      try {
        const chunks: Buffer[] = [];
        for await (const c of repo.fetchBlob(m.parsed.manifest.config)) chunks.push(c as Buffer);
        const cfg = parseImageConfig(Buffer.concat(chunks));
        platforms.push({ architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) });
      } catch (err) {
        // Docker leaves Platforms empty when the config cannot be read.
        this.d.log.debug('no platform for distribution inspect', { err });
      }
    }
    return { Descriptor: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, Platforms: platforms };
  }
}

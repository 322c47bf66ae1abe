/**
 * The per-layer directories of a Docker 20.10 `docker save` archive: `<v1 id>/json`, `VERSION`
 * and `layer.tar`. The v1 id of a layer is derived as Docker's `v1.CreateID` derives it: the
 * sha256 of the layer's legacy JSON (the image's own fields for the top layer, an empty one
 * created at the epoch below it) with `layer_id` (the chain id) and `parent` (the v1 id below)
 * added, so the same image always gets the same directories.
 */
import { sha256Digest, type Digest } from '../../util/digest.js';
import type { ImageConfig } from '../oci-types.js';

export interface LegacyLayer {
  /** 64 hex digits: the directory name. */
  readonly v1Id: string;
  /** The `json` file. */
  readonly json: Buffer;
}

/** `container.Config{}` as Go marshals it: what Docker writes as an empty container_config. */
const emptyContainerConfig = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

const epoch = '1970-01-01T00:00:00Z';

/** JSON as Go's encoder writes strings: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The legacy V1Image fields in Docker's struct order, without `id` and `parent`. */
function v1Fields(config: ImageConfig, top: boolean): Record<string, unknown> {
  if (!top) return { created: epoch, container_config: emptyContainerConfig, os: config.os || 'linux' };
  const c = config as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (c.comment) out.comment = c.comment;
  out.created = c.created ?? epoch;
  if (c.container) out.container = c.container;
  out.container_config = c.container_config ?? emptyContainerConfig;
  if (c.docker_version) out.docker_version = c.docker_version;
  if (c.author) out.author = c.author;
  if (c.config) out.config = c.config;
  if (c.architecture) out.architecture = c.architecture;
  if (c.variant) out.variant = c.variant;
  out.os = c.os || 'linux';
  return out;
}

/** The legacy layers of an image, bottom first. `chain` is the image's chain ids. */
export function legacyLayers(config: ImageConfig, chain: readonly Digest[]): LegacyLayer[] {
  const out: LegacyLayer[] = [];
  let parent: string | null = null;
  chain.forEach((chainId, i) => {
    const fields = v1Fields(config, i === chain.length - 1);
    // CreateID: the fields plus layer_id and parent, keys sorted as Go sorts a map's.
    const forId: Record<string, unknown> = { ...fields, layer_id: chainId, ...(parent ? { parent: `sha256:${parent}` } : {}) };
    const sorted = Object.fromEntries(Object.keys(forId).sort().map((k) => [k, forId[k]]));
    const v1Id = sha256Digest(goJson(sorted)).slice('sha256:'.length);
    const json = goJson({ id: v1Id, ...(parent ? { parent } : {}), ...fields });
    out.push({ v1Id, json: Buffer.from(json) });
    parent = v1Id;
  });
  return out;
}

/** `repositories`: familiar name → tag → v1 id of the top layer, as Docker's json.Encoder writes it. */
export function encodeRepositories(repos: ReadonlyMap<string, ReadonlyMap<string, string>>): Buffer {
  const obj: Record<string, Record<string, string>> = {};
  for (const name of [...repos.keys()].sort()) {
    const tags = repos.get(name)!;
    obj[name] = Object.fromEntries([...tags.keys()].sort().map((t) => [t, tags.get(t)!]));
  }
  return Buffer.from(goJson(obj) + '\n');
}

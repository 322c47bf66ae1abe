/**
 * Content digests as the OCI image spec defines them: `algorithm:encoded`. Berth stores and
 * verifies sha256 only; other algorithms parse but are refused where content is verified.
 */
import { createHash, type Hash } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';

declare const digestBrand: unique symbol;
/** A validated `sha256:<64 hex>` string. */
export type Digest = string & { readonly [digestBrand]: true };

const sha256Pattern = /^sha256:[a-f0-9]{64}$/;
const anyDigestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(value: string): value is Digest {
  return sha256Pattern.test(value);
}

/** Parses a sha256 digest, rejecting anything else with a clear error. */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  if (anyDigestPattern.test(value)) {
    throw new InvalidArgumentError(`unsupported digest algorithm: ${value}`);
  }
  throw new InvalidArgumentError(`invalid digest: ${JSON.stringify(value)}`);
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return ('sha256:' + createHash('sha256').update(data).digest('hex')) as Digest;
}

/** An incremental digester for streams: feed chunks, then read `digest` and `size`. */
export class Digester {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  get size(): number {
    return this.bytes;
  }

  digest(): Digest {
    return ('sha256:' + this.hash.digest('hex')) as Digest;
  }
}

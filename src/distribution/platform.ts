/**
 * Platforms as Docker names them (`linux/amd64`, `linux/arm64/v8`) and the choice of one
 * manifest from an index, as containerd's default matcher makes it.
 */
import { InvalidArgumentError } from '../util/errors.js';
import { goArch } from '../util/go-arch.js';
import type { Descriptor, ImageIndex, Platform } from './descriptor.js';

/** The platform of this host in Go's terms (what `docker pull` picks by default). */
export function hostPlatform(): Platform {
  const architecture = goArch();
  return architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
}

const archAliases: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' };

/** Parses `os[/arch[/variant]]`; `--platform` values such as `linux/arm64` or `amd64`. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new InvalidArgumentError(`"${text}": unknown operating system or architecture: invalid argument`);
  }
  let [os, architecture, variant] = parts as [string, string | undefined, string | undefined];
  if (architecture === undefined) {
    // A lone word is an OS if it is one, else an architecture of the host's OS.
    if (os === 'linux' || os === 'windows' || os === 'darwin' || os === 'freebsd') architecture = hostPlatform().architecture;
    else {
      architecture = os;
      os = 'linux';
    }
  }
  architecture = archAliases[architecture] ?? architecture;
  if (architecture === 'arm64' && variant === undefined) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** True when an entry's platform satisfies the wanted one (an arm64 entry without variant is v8). */
export function platformMatches(entry: Platform | undefined, wanted: Platform): boolean {
  if (!entry) return false;
  if (entry.os !== wanted.os || (archAliases[entry.architecture] ?? entry.architecture) !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  const v = entry.variant ?? (entry.architecture === 'arm64' ? 'v8' : entry.architecture === 'arm' ? 'v7' : undefined);
  return v === undefined || v === wanted.variant;
}

/**
 * The manifest of an index for `wanted`: an exact variant match first, then a variant-less
 * entry. Attestation manifests (`unknown/unknown`) never match. Undefined when none does.
 */
export function selectPlatformManifest(index: ImageIndex, wanted: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => platformMatches(m.platform, wanted));
  return candidates.find((m) => m.platform?.variant === wanted.variant) ?? candidates[0];
}

/**
 * Leases keep blobs and snapshots of work in progress (a load unpacking layers, a save reading
 * blobs) safe from garbage collection before an image references them, as containerd's leases
 * do. They live in memory only: after a crash nothing is in progress, and whatever an
 * interrupted operation left unreferenced is ordinary garbage for the next `gc`.
 */
import type { Digest } from '../util/digest.js';

export class Lease {
  readonly blobs = new Set<Digest>();
  /** Committed snapshot keys (chain ids). */
  readonly snapshots = new Set<string>();

  addBlob(digest: Digest): void {
    this.blobs.add(digest);
  }

  addSnapshot(key: string): void {
    this.snapshots.add(key);
  }
}

/** The leases currently held; `gc` asks it what to leave alone. */
export class LeaseSet {
  private readonly held = new Set<Lease>();

  acquire(): Lease {
    const lease = new Lease();
    this.held.add(lease);
    return lease;
  }

  release(lease: Lease): void {
    this.held.delete(lease);
  }

  /** Whether a held lease other than `except` has the blob. */
  hasBlob(digest: Digest, except?: Lease): boolean {
    for (const l of this.held) if (l !== except && l.blobs.has(digest)) return true;
    return false;
  }

  hasSnapshot(key: string, except?: Lease): boolean {
    for (const l of this.held) if (l !== except && l.snapshots.has(key)) return true;
    return false;
  }
}

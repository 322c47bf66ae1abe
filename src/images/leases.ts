/**
 * Leases: what an operation in progress holds (a pull or load storing blobs and layers before an
 * image row names them, a push or save reading them). Garbage collection and discard leave
 * leased blobs and snapshots alone. In memory only: after a crash nothing is held.
 */

/** What an operation in progress holds: `gc` leaves these alone until the lease is released. */
export interface Lease {
  readonly blobs: Set<string>;
  readonly snapshots: Set<string>;
  release(): void;
}

export class Leases {
  private readonly active = new Set<Lease>();

  take(): Lease {
    const lease: Lease = {
      blobs: new Set(),
      snapshots: new Set(),
      release: () => {
        this.active.delete(lease);
      },
    };
    this.active.add(lease);
    return lease;
  }

  /** Whether a lease other than `except` holds the blob or snapshot `key`. */
  holds(kind: 'blobs' | 'snapshots', key: string, except?: Lease): boolean {
    for (const l of this.active) if (l !== except && l[kind].has(key)) return true;
    return false;
  }
}

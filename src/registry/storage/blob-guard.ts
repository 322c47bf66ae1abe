/**
 * What keeps the online garbage collector from racing pushes. Everything here is synchronous
 * bookkeeping on the event loop, so a check and the decision it leads to happen in one step:
 *
 * - A lease is taken on a digest by every operation that is about to make it referenced or
 *   linked (manifest PUT for all it references, blob commit, mount). The sweep never deletes a
 *   leased digest, and an operation that takes a lease while a deletion of that digest is under
 *   way waits for it to end and then sees the blob gone (so it answers "unknown", never links a
 *   deleted blob).
 * - While a collection runs, released leases become pins for the rest of that run, since the
 *   mark may have walked past the manifest that now references the digest.
 * - `lastUse` records when a digest was last written, linked or asked about (HEAD/GET); the sweep
 *   spares digests used within the grace period.
 */
import type { Digest } from '../../util/digest.js';

export class BlobGuard {
  private readonly leases = new Map<Digest, number>();
  private readonly deletions = new Map<Digest, Promise<void>>();
  private readonly lastUse = new Map<Digest, number>();
  private pins: Set<Digest> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Leases every digest; resolves once no deletion of any of them is in progress. Call the result to release. */
  async acquire(digests: Iterable<Digest>): Promise<() => void> {
    const held = [...new Set(digests)];
    for (const d of held) {
      this.leases.set(d, (this.leases.get(d) ?? 0) + 1);
      this.pins?.add(d);
    }
    const pending = held.map((d) => this.deletions.get(d)).filter((p): p is Promise<void> => p !== undefined);
    if (pending.length > 0) await Promise.allSettled(pending);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const t = this.now();
      for (const d of held) {
        const n = (this.leases.get(d) ?? 1) - 1;
        if (n === 0) this.leases.delete(d);
        else this.leases.set(d, n);
        this.lastUse.set(d, t);
        this.pins?.add(d);
      }
    };
  }

  /** Records a use (a HEAD or GET); resolves after any deletion of the digest under way has finished. */
  touch(d: Digest): Promise<void> | undefined {
    this.lastUse.set(d, this.now());
    return this.deletions.get(d);
  }

  /** Starts a collection: from now on, released leases pin their digests until `endCollection`. */
  beginCollection(): void {
    this.pins = new Set();
  }

  endCollection(cutoff: number): void {
    this.pins = undefined;
    for (const [d, t] of this.lastUse) if (t < cutoff) this.lastUse.delete(d);
  }

  /** Whether the sweep must spare `d`: leased, pinned by this run, or used at or after `cutoff`. */
  isProtected(d: Digest, cutoff: number): boolean {
    return this.leases.has(d) || (this.pins?.has(d) ?? false) || (this.lastUse.get(d) ?? -Infinity) >= cutoff;
  }

  /**
   * Runs `remove` for `d` unless the digest is protected, deciding synchronously. Returns whether
   * it ran. Leases taken meanwhile wait for it to finish.
   */
  async deleteUnlessProtected(d: Digest, cutoff: number, remove: () => Promise<void>): Promise<boolean> {
    if (this.isProtected(d, cutoff) || this.deletions.has(d)) return false;
    const p = remove().finally(() => this.deletions.delete(d));
    this.deletions.set(d, p);
    await p;
    return true;
  }
}

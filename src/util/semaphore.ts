/** A counting semaphore for bounded pools (parallel downloads and uploads). */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`semaphore capacity must be a positive integer, got ${capacity}`);
    this.available = capacity;
  }

  /** Takes a slot if one is free now. */
  tryAcquire(): boolean {
    if (this.available === 0) return false;
    this.available--;
    return true;
  }

  /** Waits for a slot (first come, first served). */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available = Math.min(this.capacity, this.available + 1);
  }
}

/**
 * Every path the daemon uses, derived in one place from the data root (persistent: images,
 * containers, state.db) and the exec root (volatile, on tmpfs: runc state, exit files, sockets).
 */
import { join } from 'node:path';

export class DaemonPaths {
  constructor(
    readonly dataRoot: string,
    readonly execRoot: string,
  ) {}

  get stateDb(): string {
    return join(this.dataRoot, 'state.db');
  }
  get content(): string {
    return join(this.dataRoot, 'content');
  }
  get snapshots(): string {
    return join(this.dataRoot, 'snapshots');
  }
  get containers(): string {
    return join(this.dataRoot, 'containers');
  }
  /** The OCI bundle of a container: config.json, etc files, log, conmon files. */
  container(id: string): string {
    return join(this.containers, id);
  }
  rootfs(id: string): string {
    return join(this.container(id), 'rootfs');
  }
  containerLog(id: string): string {
    return join(this.container(id), 'ctr.log');
  }
  execDir(containerId: string, execId: string): string {
    return join(this.execRoot, 'exec', containerId.slice(0, 12), execId);
  }
  get runcRoot(): string {
    return join(this.execRoot, 'runc');
  }
  get exitDir(): string {
    return join(this.execRoot, 'exits');
  }
  get socketDir(): string {
    return join(this.execRoot, 's');
  }
  get pidFile(): string {
    return join(this.execRoot, 'berthd.pid');
  }
}

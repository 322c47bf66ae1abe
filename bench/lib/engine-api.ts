/**
 * Just enough of the Engine API to drive a benchmark, the same way against berthd and Docker:
 * plain HTTP over the daemon's unix socket, nothing Berth-specific.
 */
import { request } from 'node:http';

export interface Reply {
  status: number;
  body: string;
}

export class EngineApi {
  constructor(readonly socketPath: string) {}

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async ok(method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.call(method, path, body);
    if (r.status >= 300 && r.status !== 304) throw new Error(`${method} ${path}: ${r.status} ${r.body.trim()}`);
    return r.body;
  }

  async create(config: Record<string, unknown>): Promise<string> {
    return (JSON.parse(await this.ok('POST', '/containers/create', config)) as { Id: string }).Id;
  }

  /** What `run --rm IMAGE CMD` does without streams: create, start, wait, remove. */
  async runToExit(config: Record<string, unknown>): Promise<number> {
    const id = await this.create(config);
    const waited = this.ok('POST', `/containers/${id}/wait?condition=next-exit`);
    await this.ok('POST', `/containers/${id}/start`);
    const code = (JSON.parse(await waited) as { StatusCode: number }).StatusCode;
    await this.ok('DELETE', `/containers/${id}?force=1`);
    return code;
  }

  /** exec create + start (detached from streams, waited for by inspect). */
  async execToExit(id: string, cmd: string[]): Promise<void> {
    const exec = (JSON.parse(await this.ok('POST', `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true })) as { Id: string }).Id;
    // An attached start returns when the process's output ends, as `docker exec` waits.
    await this.ok('POST', `/exec/${exec}/start`, { Detach: false, Tty: false });
    for (;;) {
      const info = JSON.parse(await this.ok('GET', `/exec/${exec}/json`)) as { Running: boolean };
      if (!info.Running) return;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

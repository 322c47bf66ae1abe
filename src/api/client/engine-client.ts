/**
 * A typed Docker Engine API client (v1.45). Works against berthd and against Docker itself.
 *
 * Requests go to `/v1.45/...`. The version is negotiated only when needed: if the daemon says
 * the client version is too new, the client pings, takes min(daemon, 1.45) and retries once.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError, StreamError } from './errors.js';
import { resolveHost, type DaemonAddress } from './host.js';
import { jsonStream, jsonTexts } from './json-stream.js';
import { checkStatus, readBody, Transport, type HijackedConnection } from './transport.js';
import type {
  AuthResponse,
  DistributionInspect,
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  CreateResponse,
  DiskUsage,
  EventMessage,
  ExecConfig,
  ExecInspect,
  Filters,
  HistoryResponseItem,
  ImageDeleteItem,
  ImageInspect,
  ImageSummary,
  InfoResponse,
  JsonMessage,
  PingResponse,
  PruneReport,
  TopResponse,
  VersionResponse,
  WaitResponse,
} from './types.js';

export const clientApiVersion = '1.45';

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Readonly<Record<string, QueryValue>>;

export interface EngineClientOptions {
  /** `unix:///…` or `tcp://…`; else BERTH_HOST, DOCKER_HOST, the default socket. */
  readonly host?: string | DaemonAddress;
  readonly env?: NodeJS.ProcessEnv;
  /** Pin an API version (no negotiation); else BERTH_API_VERSION or DOCKER_API_VERSION. */
  readonly apiVersion?: string;
  readonly userAgent?: string;
}

/** Encodes a query: `true` → `1`, false/null/undefined dropped, arrays repeated. */
export function encodeQuery(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === false) continue;
    if (v === true) p.append(k, '1');
    else if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The `filters` parameter: `{"key":["value",…]}`, or nothing when empty. */
export function encodeFilters(f: Filters | undefined): string | undefined {
  if (!f) return undefined;
  const entries = Object.entries(f).filter(([, v]) => v.length > 0);
  if (entries.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(entries));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

interface CallOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** A raw body (not JSON-encoded). */
  readonly raw?: Buffer | Readable;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Statuses other than 2xx that are not errors (e.g. 304 from start/stop). */
  readonly ok?: readonly number[];
}

export interface ContainerListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
  signal?: AbortSignal;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export interface ImportOptions {
  /** `-` (the default) sends the body; a URL makes the daemon fetch the archive. */
  fromSrc?: string;
  repo?: string;
  tag?: string;
  changes?: readonly string[];
  message?: string;
  platform?: string;
}

export class EngineClient {
  readonly address: DaemonAddress;
  private readonly transport: Transport;
  private version: string;
  private readonly pinned: boolean;
  private negotiated = false;

  constructor(opts: EngineClientOptions = {}) {
    const env = opts.env ?? process.env;
    this.address = typeof opts.host === 'object' ? opts.host : resolveHost(opts.host, env);
    this.transport = new Transport(this.address, opts.userAgent ?? 'Berth-Client (linux)');
    const pin = opts.apiVersion ?? env.BERTH_API_VERSION ?? env.DOCKER_API_VERSION;
    this.version = pin || clientApiVersion;
    this.pinned = !!pin;
  }

  /** The API version requests use now. */
  get apiVersion(): string {
    return this.version;
  }

  /** The version the client was built for. */
  get defaultApiVersion(): string {
    return clientApiVersion;
  }

  // --- plumbing ---

  private path(p: string, q?: Query): string {
    return `/v${this.version}${p}${encodeQuery(q)}`;
  }

  /** Sends a request; resolves with a 2xx response (body unread), throws ApiError otherwise. */
  async request(method: string, p: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const send = () => {
      const headers: Record<string, string> = { ...opts.headers };
      let body: Buffer | Readable | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = Buffer.from(JSON.stringify(opts.body));
        headers['Content-Type'] = 'application/json';
      }
      return this.transport.send({ method, path: this.path(p, opts.query), headers, body: body ?? null, ...(opts.signal ? { signal: opts.signal } : {}) });
    };
    // A streamed body cannot be sent twice, so settle the version before sending one.
    const streamed = opts.raw !== undefined && !Buffer.isBuffer(opts.raw);
    if (streamed) await this.settleVersion();
    let res = await send();
    if (res.statusCode === 400 && !this.pinned && !this.negotiated && !streamed) {
      const buf = await readBody(res);
      const err = ApiError.fromBody(400, buf);
      if (!/client version .* is too new/i.test(err.daemonMessage)) throw err;
      await this.negotiate();
      res = await send();
    }
    return checkStatus(res, opts.ok);
  }

  private async json<T>(method: string, p: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.request(method, p, opts);
    const buf = await readBody(res);
    if (buf.length === 0) return undefined as T;
    return JSON.parse(buf.toString('utf8')) as T;
  }

  private async empty(method: string, p: string, opts: CallOptions = {}): Promise<number> {
    const res = await this.request(method, p, opts);
    await readBody(res);
    return res.statusCode ?? 0;
  }

  /** Pings the daemon and settles the API version at min(daemon, client). */
  async negotiate(): Promise<string> {
    if (this.pinned) return this.version;
    const ping = await this.ping();
    if (ping.apiVersion && compareVersions(ping.apiVersion, clientApiVersion) < 0) this.version = ping.apiVersion;
    else this.version = clientApiVersion;
    this.negotiated = true;
    return this.version;
  }

  /**
   * Negotiates once before a request that cannot be retried. A failed ping keeps the default
   * version, as the docker CLI does; the request itself then reports what is wrong.
   */
  private async settleVersion(): Promise<void> {
    if (this.pinned || this.negotiated) return;
    try {
      await this.negotiate();
    } catch {
      this.negotiated = true;
    }
  }

  private async hijack(p: string, query: Query, body?: unknown): Promise<HijackedConnection> {
    // An upgraded connection is not retried, so settle the version first.
    await this.settleVersion();
    const headers: Record<string, string> = {};
    let raw: string | null = null;
    if (body !== undefined) {
      raw = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const r = await this.transport.upgrade({ method: 'POST', path: this.path(p, query), headers, body: raw });
    if ('conn' in r) return r.conn;
    const s = r.res.statusCode ?? 0;
    const buf = await readBody(r.res);
    if (s >= 200 && s < 300) throw new ApiError(s, 'the daemon did not upgrade the connection for a raw stream');
    throw ApiError.fromBody(s, buf);
  }

  /** GET an object's JSON by API path (networks, volumes …), keeping the daemon's text. */
  async rawGet(p: string, query?: Query): Promise<{ value: unknown; raw: string }> {
    const res = await this.request('GET', p, query ? { query } : {});
    const raw = (await readBody(res)).toString('utf8');
    return { value: JSON.parse(raw) as unknown, raw };
  }

  // --- system ---

  async ping(): Promise<PingResponse> {
    const res = await this.transport.send({ method: 'GET', path: '/_ping' });
    const buf = await readBody(res);
    const s = res.statusCode ?? 0;
    if (s < 200 || s >= 300) throw ApiError.fromBody(s, buf);
    const h = res.headers;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;
    return {
      apiVersion: one(h['api-version']),
      osType: one(h['ostype']),
      experimental: one(h['docker-experimental']) === 'true',
      builderVersion: one(h['builder-version']),
    };
  }

  /** `GET /version`. */
  serverVersion(): Promise<VersionResponse> {
    return this.json('GET', '/version');
  }

  info(): Promise<InfoResponse> {
    return this.json('GET', '/info');
  }

  /** `GET /events`: yields events until the stream ends or `signal` aborts. */
  async *events(opts: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {}): AsyncGenerator<EventMessage> {
    for await (const { event } of this.eventsRaw(opts)) yield event;
  }

  /**
   * Events with their JSON text, and `timeNano` exact: it exceeds 2^53, so a JS number
   * loses its last digits.
   */
  async *eventsRaw(opts: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {}): AsyncGenerator<{ event: EventMessage; raw: string; timeNano: bigint }> {
    const res = await this.request('GET', '/events', {
      query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters) },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    for await (const raw of jsonTexts(res)) {
      const event = JSON.parse(raw) as EventMessage;
      const m = /"timeNano"\s*:\s*(\d+)/.exec(raw);
      yield { event, raw, timeNano: m ? BigInt(m[1]!) : BigInt(event.time ?? 0) * 1_000_000_000n };
    }
  }

  // --- containers ---

  containerList(opts: ContainerListOptions = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', {
      query: {
        all: opts.all,
        limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
        size: opts.size,
        filters: encodeFilters(opts.filters),
      },
    });
  }

  containerCreate(body: ContainerCreateBody, opts: { name?: string; platform?: string } = {}): Promise<CreateResponse> {
    return this.json('POST', '/containers/create', { query: { name: opts.name || undefined, platform: opts.platform || undefined }, body });
  }

  async containerInspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return (await this.containerInspectRaw(id, opts)).value;
  }

  /** Inspect, keeping the daemon's JSON text (for `inspect`'s output). */
  async containerInspectRaw(id: string, opts: { size?: boolean } = {}): Promise<{ value: ContainerInspect; raw: string }> {
    const res = await this.request('GET', `/containers/${encodeURIComponent(id)}/json`, { query: { size: opts.size } });
    const raw = (await readBody(res)).toString('utf8');
    return { value: JSON.parse(raw) as ContainerInspect, raw };
  }

  /** Resolves false when the container was already running (304). */
  async containerStart(id: string, opts: { detachKeys?: string } = {}): Promise<boolean> {
    return (await this.empty('POST', `/containers/${encodeURIComponent(id)}/start`, { query: { detachKeys: opts.detachKeys }, ok: [304] })) !== 304;
  }

  async containerStop(id: string, opts: { signal?: string; timeout?: number } = {}): Promise<boolean> {
    return (await this.empty('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { signal: opts.signal, t: opts.timeout }, ok: [304] })) !== 304;
  }

  async containerRestart(id: string, opts: { signal?: string; timeout?: number } = {}): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: { signal: opts.signal, t: opts.timeout } });
  }

  async containerKill(id: string, signal?: string): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } });
  }

  async containerPause(id: string): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/pause`);
  }

  async containerUnpause(id: string): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/unpause`);
  }

  async containerRename(id: string, name: string): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } });
  }

  async containerResize(id: string, height: number, width: number): Promise<void> {
    await this.empty('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h: height, w: width } });
  }

  /**
   * `POST /containers/{id}/wait`. Resolves once the daemon has registered the wait (response
   * headers arrived), so the caller may start the container; `result` settles at the exit.
   */
  async containerWait(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.request('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition } });
    const result = readBody(res).then((buf) => {
      const text = buf.toString('utf8').trim();
      if (!text) throw new Error('unexpected end of wait response');
      return JSON.parse(text) as WaitResponse;
    });
    result.catch(() => undefined);
    return { result };
  }

  async containerRemove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.empty('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: opts.force, v: opts.volumes, link: opts.link } });
  }

  containerPrune(filters?: Filters): Promise<PruneReport> {
    return this.json('POST', '/containers/prune', { query: { filters: encodeFilters(filters) } });
  }

  containerTop(id: string, psArgs?: string): Promise<TopResponse> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: psArgs || undefined } });
  }

  /** `GET /containers/{id}/logs`: the body is raw (TTY) or multiplexed; see demuxStream. */
  containerLogs(id: string, opts: LogsOptions = {}): Promise<IncomingMessage> {
    return this.request('GET', `/containers/${encodeURIComponent(id)}/logs`, {
      query: {
        stdout: opts.stdout,
        stderr: opts.stderr,
        follow: opts.follow,
        since: opts.since || undefined,
        until: opts.until || undefined,
        timestamps: opts.timestamps,
        tail: opts.tail,
        details: opts.details,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** `POST /containers/{id}/attach` on a hijacked connection. */
  containerAttach(id: string, opts: AttachOptions): Promise<HijackedConnection> {
    return this.hijack(`/containers/${encodeURIComponent(id)}/attach`, {
      stream: opts.stream ?? true,
      stdin: opts.stdin,
      stdout: opts.stdout,
      stderr: opts.stderr,
      logs: opts.logs,
      detachKeys: opts.detachKeys,
    });
  }

  // --- exec ---

  execCreate(container: string, config: ExecConfig): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodeURIComponent(container)}/exec`, { body: config });
  }

  /** Starts a detached exec. */
  async execStartDetached(execId: string, opts: { tty?: boolean } = {}): Promise<void> {
    await this.empty('POST', `/exec/${encodeURIComponent(execId)}/start`, { body: { Detach: true, Tty: !!opts.tty } });
  }

  /** Starts an exec attached, on a hijacked connection. */
  execStartAttached(execId: string, opts: { tty?: boolean; consoleSize?: [number, number] | null } = {}): Promise<HijackedConnection> {
    return this.hijack(`/exec/${encodeURIComponent(execId)}/start`, {}, { Detach: false, Tty: !!opts.tty, ...(opts.consoleSize ? { ConsoleSize: opts.consoleSize } : {}) });
  }

  async execResize(execId: string, height: number, width: number): Promise<void> {
    await this.empty('POST', `/exec/${encodeURIComponent(execId)}/resize`, { query: { h: height, w: width } });
  }

  execInspect(execId: string): Promise<ExecInspect> {
    return this.json('GET', `/exec/${encodeURIComponent(execId)}/json`);
  }

  // --- images ---

  imageList(opts: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { query: { all: opts.all, digests: opts.digests, filters: encodeFilters(opts.filters) } });
  }

  async imageInspect(name: string): Promise<ImageInspect> {
    return (await this.imageInspectRaw(name)).value;
  }

  async imageInspectRaw(name: string): Promise<{ value: ImageInspect; raw: string }> {
    const res = await this.request('GET', `/images/${encodeImageName(name)}/json`);
    const raw = (await readBody(res)).toString('utf8');
    return { value: JSON.parse(raw) as ImageInspect, raw };
  }

  async imageTag(source: string, repo: string, tag?: string): Promise<void> {
    await this.empty('POST', `/images/${encodeImageName(source)}/tag`, { query: { repo, tag: tag || undefined } });
  }

  imageRemove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${encodeImageName(name)}`, { query: { force: opts.force, noprune: opts.noPrune } });
  }

  /**
   * `GET /images/get?names=…`: the archive of the images, as a response whose body is the tar.
   * `format: 'oci'` asks Berth for an OCI image layout (Docker ignores it and sends its format).
   */
  imageSave(names: readonly string[], opts: { format?: 'docker' | 'oci'; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    return this.request('GET', '/images/get', { query: { names, format: opts.format === 'oci' ? 'oci' : undefined }, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /** `POST /images/load` with the archive as the body: yields the messages (`stream` lines, progress, an error). */
  async *imageLoad(source: Readable | Buffer, opts: { quiet?: boolean } = {}): AsyncGenerator<JsonMessage> {
    const res = await this.request('POST', '/images/load', { query: { quiet: opts.quiet ? '1' : '0' }, raw: source, headers: { 'Content-Type': 'application/x-tar' } });
    yield* jsonStream<JsonMessage>(res);
  }

  imageHistory(name: string): Promise<HistoryResponseItem[]> {
    return this.json('GET', `/images/${encodeImageName(name)}/history`);
  }

  imagePrune(filters?: Filters): Promise<PruneReport> {
    return this.json('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  }

  /** `GET /system/df`; `types` narrows it (API 1.42+). */
  diskUsage(types?: readonly string[]): Promise<DiskUsage> {
    return this.json('GET', '/system/df', { query: { type: types && types.length ? types : undefined } });
  }

  /**
   * `POST /images/create?fromImage=…` (pull): yields the progress messages. `tag` is a tag or a
   * digest; none pulls every tag. `registryAuth` is the X-Registry-Auth value.
   */
  async *imagePull(image: string, opts: { tag?: string; platform?: string; registryAuth?: string; signal?: AbortSignal } = {}): AsyncGenerator<JsonMessage> {
    const res = await this.request('POST', '/images/create', {
      query: { fromImage: image, tag: opts.tag || undefined, platform: opts.platform || undefined },
      ...(opts.registryAuth ? { headers: { 'X-Registry-Auth': opts.registryAuth } } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    yield* jsonStream<JsonMessage>(res);
  }

  /** `POST /images/{name}/push` (no tag: every tag of the repository): yields the progress messages. */
  async *imagePush(name: string, opts: { tag?: string; registryAuth?: string; signal?: AbortSignal } = {}): AsyncGenerator<JsonMessage> {
    // Docker's client always sends the header; an empty AuthConfig is `e30=` ({}).
    const res = await this.request('POST', `/images/${encodeImageName(name)}/push`, {
      query: { tag: opts.tag || undefined },
      headers: { 'X-Registry-Auth': opts.registryAuth || 'e30=' },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    yield* jsonStream<JsonMessage>(res);
  }

  /** `POST /auth`: checks credentials with the registry (`serveraddress`). */
  registryLogin(auth: Readonly<Record<string, string>>): Promise<AuthResponse> {
    return this.json('POST', '/auth', { body: auth });
  }

  /** `GET /distribution/{name}/json`: the registry's descriptor and platforms for an image. */
  distributionInspect(name: string, registryAuth?: string): Promise<DistributionInspect> {
    return this.json('GET', `/distribution/${encodeImageName(name)}/json`, registryAuth ? { headers: { 'X-Registry-Auth': registryAuth } } : {});
  }

  /**
   * `POST /images/create?fromSrc=-` with the archive as the body: yields the progress messages
   * (the last `status` carries the new image id).
   */
  async *imageImport(source: Readable | Buffer, opts: ImportOptions = {}): AsyncGenerator<JsonMessage> {
    const res = await this.request('POST', '/images/create', {
      query: {
        fromSrc: opts.fromSrc || '-',
        repo: opts.repo || undefined,
        tag: opts.tag || undefined,
        message: opts.message || undefined,
        changes: opts.changes && opts.changes.length ? opts.changes : undefined,
        platform: opts.platform || undefined,
      },
      raw: source,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    yield* jsonStream<JsonMessage>(res);
  }
}

/** Image names keep their `/` and `:` in the path, as Docker's client sends them. */
function encodeImageName(name: string): string {
  return name
    .split('/')
    .map((p) => encodeURIComponent(p).replace(/%3A/gi, ':').replace(/%40/g, '@'))
    .join('/');
}

/** Throws StreamError for the first `{"error": …}` message of a progress stream. */
export function checkJsonMessage(m: JsonMessage): JsonMessage {
  if (m.error || m.errorDetail?.message) throw new StreamError(m.errorDetail?.message || m.error || 'unknown error');
  return m;
}

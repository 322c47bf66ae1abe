/**
 * Prometheus text exposition (format 0.0.4) of what the server does: requests by method, route and
 * status; bytes received and sent; request latency histograms per route; garbage collections;
 * and in pull-through mode the cache's hits and misses and its upstream fetches.
 * Plain counters in maps: no label sets beyond these, so the cardinality stays bounded.
 */
import type { GcStats } from './storage/index.js';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class RegistryMetrics {
  private readonly requests = new Map<string, number>();
  private readonly bytesIn = new Map<string, number>();
  private readonly bytesOut = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private inFlight = 0;
  private gcRuns = 0;
  private gcBlobsDeleted = 0;
  private gcBytesFreed = 0;
  private gcLastSeconds = 0;
  private uploadsPurged = 0;
  private readonly proxyLookups = new Map<string, number>();
  private readonly proxyFetches = new Map<string, number>();
  private proxyUpstreamBytes = 0;
  private proxyInFlight = 0;

  requestStarted(): void {
    this.inFlight++;
  }

  requestDone(method: string, route: string, status: number, bytesIn: number, bytesOut: number, seconds: number): void {
    this.inFlight--;
    const key = `${method}\0${route}\0${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const rk = `${method}\0${route}`;
    this.bytesIn.set(rk, (this.bytesIn.get(rk) ?? 0) + bytesIn);
    this.bytesOut.set(rk, (this.bytesOut.get(rk) ?? 0) + bytesOut);
    let h = this.latency.get(rk);
    if (!h) this.latency.set(rk, (h = { counts: buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  gcDone(s: GcStats): void {
    this.gcRuns++;
    this.gcBlobsDeleted += s.blobsDeleted;
    this.gcBytesFreed += s.bytesFreed;
    this.gcLastSeconds = s.durationMs / 1000;
  }

  uploadsPurgedAdd(n: number): void {
    this.uploadsPurged += n;
  }

  /**
   * A pull-through lookup of a manifest or blob: `hit` (served from the cache without asking
   * upstream), `revalidated` (a cached tag upstream confirmed), `miss` (fetched from upstream),
   * `joined` (served from a fetch another request started), `stale` (cached copy served because
   * upstream failed), `unknown` (neither has it).
   */
  proxyLookup(kind: 'manifest' | 'blob', result: 'hit' | 'revalidated' | 'miss' | 'joined' | 'stale' | 'unknown'): void {
    const k = `${kind}\0${result}`;
    this.proxyLookups.set(k, (this.proxyLookups.get(k) ?? 0) + 1);
  }

  proxyFetchStarted(): void {
    this.proxyInFlight++;
  }

  /** An upstream blob fetch ended: stored, or failed (nothing stored). */
  proxyFetchDone(ok: boolean, bytes: number): void {
    this.proxyInFlight--;
    this.proxyUpstreamBytes += bytes;
    const k = ok ? 'stored' : 'failed';
    this.proxyFetches.set(k, (this.proxyFetches.get(k) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    const labels = (method: string, route: string, status?: string) =>
      `method="${method}",route="${route}"${status !== undefined ? `,code="${status}"` : ''}`;
    lines.push('# HELP berth_registry_http_requests_total HTTP requests served, by method, route and status code.');
    lines.push('# TYPE berth_registry_http_requests_total counter');
    for (const [k, v] of this.requests) {
      const [m, r, s] = k.split('\0') as [string, string, string];
      lines.push(`berth_registry_http_requests_total{${labels(m, r, s)}} ${v}`);
    }
    lines.push('# HELP berth_registry_http_request_bytes_total Bytes received (headers and body), by method and route.');
    lines.push('# TYPE berth_registry_http_request_bytes_total counter');
    for (const [k, v] of this.bytesIn) lines.push(`berth_registry_http_request_bytes_total{${labels(...(k.split('\0') as [string, string]))}} ${v}`);
    lines.push('# HELP berth_registry_http_response_bytes_total Bytes sent (headers and body), by method and route.');
    lines.push('# TYPE berth_registry_http_response_bytes_total counter');
    for (const [k, v] of this.bytesOut) lines.push(`berth_registry_http_response_bytes_total{${labels(...(k.split('\0') as [string, string]))}} ${v}`);
    lines.push('# HELP berth_registry_http_request_duration_seconds Time from request to the end of the response, by method and route.');
    lines.push('# TYPE berth_registry_http_request_duration_seconds histogram');
    for (const [k, h] of this.latency) {
      const l = labels(...(k.split('\0') as [string, string]));
      buckets.forEach((b, i) => lines.push(`berth_registry_http_request_duration_seconds_bucket{${l},le="${b}"} ${h.counts[i]}`));
      lines.push(`berth_registry_http_request_duration_seconds_bucket{${l},le="+Inf"} ${h.count}`);
      lines.push(`berth_registry_http_request_duration_seconds_sum{${l}} ${h.sum}`);
      lines.push(`berth_registry_http_request_duration_seconds_count{${l}} ${h.count}`);
    }
    lines.push('# HELP berth_registry_http_requests_in_flight Requests being served now.');
    lines.push('# TYPE berth_registry_http_requests_in_flight gauge');
    lines.push(`berth_registry_http_requests_in_flight ${this.inFlight}`);
    lines.push('# HELP berth_registry_gc_runs_total Garbage collections completed.');
    lines.push('# TYPE berth_registry_gc_runs_total counter');
    lines.push(`berth_registry_gc_runs_total ${this.gcRuns}`);
    lines.push('# HELP berth_registry_gc_blobs_deleted_total Blobs removed by garbage collection.');
    lines.push('# TYPE berth_registry_gc_blobs_deleted_total counter');
    lines.push(`berth_registry_gc_blobs_deleted_total ${this.gcBlobsDeleted}`);
    lines.push('# HELP berth_registry_gc_bytes_freed_total Bytes freed by garbage collection.');
    lines.push('# TYPE berth_registry_gc_bytes_freed_total counter');
    lines.push(`berth_registry_gc_bytes_freed_total ${this.gcBytesFreed}`);
    lines.push('# HELP berth_registry_gc_last_duration_seconds How long the last garbage collection took.');
    lines.push('# TYPE berth_registry_gc_last_duration_seconds gauge');
    lines.push(`berth_registry_gc_last_duration_seconds ${this.gcLastSeconds}`);
    lines.push('# HELP berth_registry_uploads_purged_total Abandoned upload sessions removed.');
    lines.push('# TYPE berth_registry_uploads_purged_total counter');
    lines.push(`berth_registry_uploads_purged_total ${this.uploadsPurged}`);
    lines.push('# HELP berth_registry_proxy_lookups_total Pull-through cache lookups by kind and result (hit, revalidated, miss, joined, stale, unknown).');
    lines.push('# TYPE berth_registry_proxy_lookups_total counter');
    for (const [k, v] of this.proxyLookups) {
      const [kind, result] = k.split('\0') as [string, string];
      lines.push(`berth_registry_proxy_lookups_total{kind="${kind}",result="${result}"} ${v}`);
    }
    lines.push('# HELP berth_registry_proxy_blob_fetches_total Upstream blob downloads by outcome (stored, failed).');
    lines.push('# TYPE berth_registry_proxy_blob_fetches_total counter');
    for (const [k, v] of this.proxyFetches) lines.push(`berth_registry_proxy_blob_fetches_total{outcome="${k}"} ${v}`);
    lines.push('# HELP berth_registry_proxy_blob_fetches_in_flight Upstream blob downloads running now.');
    lines.push('# TYPE berth_registry_proxy_blob_fetches_in_flight gauge');
    lines.push(`berth_registry_proxy_blob_fetches_in_flight ${this.proxyInFlight}`);
    lines.push('# HELP berth_registry_proxy_upstream_blob_bytes_total Blob bytes received from upstream.');
    lines.push('# TYPE berth_registry_proxy_upstream_blob_bytes_total counter');
    lines.push(`berth_registry_proxy_upstream_blob_bytes_total ${this.proxyUpstreamBytes}`);
    return lines.join('\n') + '\n';
  }
}

import test from 'node:test';
import assert from 'node:assert/strict';
import { RegistryMetrics } from './metrics.js';

test('metrics count requests, bytes and latency buckets in Prometheus text', () => {
  const m = new RegistryMetrics();
  m.requestStarted();
  m.requestDone('GET', 'manifest', 200, 100, 2000, 0.003);
  m.requestStarted();
  m.requestDone('GET', 'manifest', 200, 100, 2000, 0.2);
  m.requestStarted();
  m.requestDone('GET', 'manifest', 404, 90, 150, 0.001);
  m.requestStarted();
  m.gcDone({ manifests: 1, marked: 3, blobsDeleted: 2, bytesFreed: 99, linksDeleted: 2, durationMs: 1500 });
  const text = m.render();
  assert.match(text, /^berth_registry_http_requests_total\{method="GET",route="manifest",code="200"\} 2$/m);
  assert.match(text, /^berth_registry_http_requests_total\{method="GET",route="manifest",code="404"\} 1$/m);
  assert.match(text, /^berth_registry_http_request_bytes_total\{method="GET",route="manifest"\} 290$/m);
  assert.match(text, /^berth_registry_http_response_bytes_total\{method="GET",route="manifest"\} 4150$/m);
  assert.match(text, /^berth_registry_http_request_duration_seconds_bucket\{method="GET",route="manifest",le="0.001"\} 1$/m);
  assert.match(text, /^berth_registry_http_request_duration_seconds_bucket\{method="GET",route="manifest",le="0.005"\} 2$/m);
  assert.match(text, /^berth_registry_http_request_duration_seconds_bucket\{method="GET",route="manifest",le="\+Inf"\} 3$/m);
  assert.match(text, /^berth_registry_http_request_duration_seconds_count\{method="GET",route="manifest"\} 3$/m);
  assert.match(text, /^berth_registry_http_requests_in_flight 1$/m);
  assert.match(text, /^berth_registry_gc_blobs_deleted_total 2$/m);
  assert.match(text, /^berth_registry_gc_last_duration_seconds 1.5$/m);
  assert.match(text, /# TYPE berth_registry_http_request_duration_seconds histogram/);
});

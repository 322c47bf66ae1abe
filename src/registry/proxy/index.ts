/** Pull-through cache mode of `berth registry serve`: the upstream client, shared blob downloads, the cache policy. */
export { PullThroughCache, type PullThroughCacheOptions, type UpstreamRegistry } from './pull-through-cache.js';
export { Upstream, upstreamError, type UpstreamOptions } from './upstream.js';
export { BlobFetch, type BlobFetchOptions, type FetchStorage } from './blob-fetch.js';

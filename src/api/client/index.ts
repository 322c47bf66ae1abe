/** The Engine API client: transport, typed calls, stream helpers. */
export { EngineClient, clientApiVersion, encodeFilters, encodeQuery, checkJsonMessage } from './engine-client.js';
export type { AttachOptions, ContainerListOptions, EngineClientOptions, ImportOptions, LogsOptions, Query } from './engine-client.js';
export { ApiError, DaemonUnreachableError, StreamError } from './errors.js';
export { defaultHost, parseHost, resolveHost, InvalidHostError, type DaemonAddress } from './host.js';
export { jsonStream, jsonTexts, JsonSplitter } from './json-stream.js';
export { copyStream, demuxStream, FrameDemuxer, type StreamKind } from './stream-demux.js';
export { PermissionDeniedError, type HijackedConnection } from './transport.js';
export type * from './types.js';

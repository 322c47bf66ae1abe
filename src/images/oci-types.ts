/** The parts of the OCI image spec (and Docker schema 2) that Berth reads and writes. */
import type { Digest } from '../util/digest.js';

export { mediaTypes, type Descriptor, type Platform } from '../distribution/index.js';
/** An image manifest as the image store writes it (OCI or Docker schema 2). */
export type { ImageManifest as Manifest } from '../distribution/index.js';

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime defaults an image carries (the `config` object of the image config). */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  /** Docker-only fields kept when present. */
  comment?: string;
  docker_version?: string;
}

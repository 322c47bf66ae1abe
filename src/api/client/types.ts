/** The Engine API shapes the client reads and writes (v1.45; fields the CLI uses are typed). */

export type Filters = Readonly<Record<string, readonly string[]>>;

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Port[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: MountPoint[] | null;
  [k: string]: unknown;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Image: string;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    ExitCode: number;
    Pid: number;
    [k: string]: unknown;
  };
  Config: {
    Tty?: boolean;
    OpenStdin?: boolean;
    AttachStdin?: boolean;
    StdinOnce?: boolean;
    Image?: string;
    [k: string]: unknown;
  };
  HostConfig: { AutoRemove?: boolean; [k: string]: unknown };
  [k: string]: unknown;
}

export interface CreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
  [k: string]: unknown;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Size: number;
  [k: string]: unknown;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface PruneReport {
  ContainersDeleted?: string[] | null;
  ImagesDeleted?: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

export interface TopResponse {
  Titles: string[];
  Processes: string[][];
}

export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
  [k: string]: unknown;
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface VersionResponse {
  Platform?: { Name: string };
  Components?: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
  [k: string]: unknown;
}

export type InfoResponse = Record<string, unknown>;

export interface PingResponse {
  apiVersion: string | null;
  osType: string | null;
  experimental: boolean;
  builderVersion: string | null;
}

export interface ExecConfig {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStderr?: boolean;
  AttachStdout?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd: string[];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig?: { tty?: boolean; [k: string]: unknown };
  OpenStdin?: boolean;
  ContainerID: string;
  Pid?: number;
  [k: string]: unknown;
}

/** One message of a JSON progress stream (pull, import). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

/** The create body: Config plus HostConfig and NetworkingConfig. */
export interface ContainerCreateBody {
  [k: string]: unknown;
  HostConfig?: Record<string, unknown>;
  NetworkingConfig?: Record<string, unknown>;
}

/** `POST /auth` answer. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** `GET /distribution/{name}/json` answer. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Array<{ architecture: string; os: string; variant?: string }>;
}

/** One entry of `GET /images/{name}/history`. */
export interface HistoryResponseItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface VolumeUsage {
  Name: string;
  Driver?: string;
  Mountpoint?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
  [k: string]: unknown;
}

export interface BuildCacheRecord {
  ID: string;
  Type?: string;
  Description?: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
  [k: string]: unknown;
}

/** `GET /system/df`. */
export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: VolumeUsage[] | null;
  BuildCache: BuildCacheRecord[] | null;
  BuilderSize?: number;
}

/** What Berth keeps about one container: Docker's inspect shape plus runtime bookkeeping. */
import type { Digest } from '../util/digest.js';
import type { ContainerConfig, ContainerState, HostConfig } from './docker-types.js';
import { zeroTime } from './docker-types.js';

export interface ContainerRecord {
  Id: string;
  /** With the leading slash, as Docker stores it. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** The image id (config digest). */
  Image: Digest;
  State: ContainerState;
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  LogPath: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  /** Snapshot key of the writable layer. */
  SnapshotKey: string;
  /** conmon's pid while the container runs (0 otherwise). */
  ConmonPid: number;
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: zeroTime,
    FinishedAt: zeroTime,
  };
}

/**
 * How a create request's Config combines with the image's defaults, as Docker does it:
 * user values win; Env and Labels merge by key (the request's first); an explicit Entrypoint drops
 * the image's Cmd.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { ImageRuntimeConfig } from '../../images/index.js';
import type { ContainerConfig } from '../docker-types.js';

function envKey(e: string): string {
  const eq = e.indexOf('=');
  return eq < 0 ? e : e.slice(0, eq);
}

/** `base`, with each `over` entry replacing the same name in place or appended (exec env over the container's). */
export function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const out = [...base];
  for (const e of over) {
    const k = envKey(e);
    const i = out.findIndex((x) => envKey(x) === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/**
 * Config.Env of a new container, as Docker merges it: the request's entries as given, then each
 * image entry whose name the request does not set. Without request entries, the image's list.
 */
export function mergeImageEnv(image: readonly string[], request: readonly string[]): string[] {
  if (request.length === 0) return [...image];
  const names = new Set(request.map(envKey));
  return [...request, ...image.filter((e) => !names.has(envKey(e)))];
}

export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const img = image ?? {};
  const c: ContainerConfig = { ...user, Cmd: user.Cmd && user.Cmd.length ? user.Cmd : null };
  if (!c.User) c.User = img.User ?? '';
  c.Env = mergeImageEnv(img.Env ?? [], user.Env ?? []);
  const userEntrypoint = user.Entrypoint ?? null;
  if (userEntrypoint === null || userEntrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) {
      c.Cmd = img.Cmd ?? null;
      if (img.ArgsEscaped !== undefined) c.ArgsEscaped = img.ArgsEscaped;
    }
    if (userEntrypoint === null) c.Entrypoint = img.Entrypoint ?? null;
  }
  // `--entrypoint ""` arrives as [""]: it clears the image's entrypoint (and its Cmd, above).
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;
  if (!c.WorkingDir) c.WorkingDir = img.WorkingDir ?? '';
  if (img.ExposedPorts || user.ExposedPorts) c.ExposedPorts = { ...(img.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (img.Volumes || user.Volumes) c.Volumes = { ...(img.Volumes ?? {}), ...(user.Volumes ?? {}) };
  c.Labels = { ...(img.Labels ?? {}), ...(user.Labels ?? {}) };
  if (!c.StopSignal && img.StopSignal) c.StopSignal = img.StopSignal;
  if (!c.Healthcheck && img.Healthcheck) c.Healthcheck = img.Healthcheck;
  if ((!c.OnBuild || c.OnBuild.length === 0) && img.OnBuild) c.OnBuild = img.OnBuild;
  if ((!c.Shell || c.Shell.length === 0) && img.Shell) c.Shell = img.Shell;
  return c;
}

/** The process to run: Docker's Path and Args. */
export function entrypointAndArgs(c: ContainerConfig): { path: string; args: string[] } {
  const cmd = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (cmd.length === 0) throw new InvalidArgumentError('no command specified');
  return { path: cmd[0]!, args: cmd.slice(1) };
}

/** Docker requires an absolute, cleaned working directory. */
export function validateWorkingDir(dir: string | undefined): string {
  if (!dir) return '';
  if (!dir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${dir}' is invalid, it needs to be an absolute path`);
  const parts: string[] = [];
  for (const p of dir.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

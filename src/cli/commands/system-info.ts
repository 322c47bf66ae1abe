/** `info`: the daemon's system-wide information in docker's layout. */
import type { InfoResponse } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { bytesSize } from '../format/units.js';
import { formatFlag } from './common-flags.js';

type Info = Record<string, unknown>;

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : [];
}

/** Go's Println of a label and a value. */
function line(label: string, v: unknown): string {
  return `${label} ${str(v)}\n`;
}

function lineNonEmpty(label: string, v: unknown): string {
  return str(v) === '' ? '' : line(label, v);
}

/** The server section of `info`, as docker prints it (warnings go to stderr separately). */
export function serverInfoText(info: Info, clientDebug: boolean): string {
  let s = '';
  s += line(' Containers:', info.Containers ?? 0);
  s += line('  Running:', info.ContainersRunning ?? 0);
  s += line('  Paused:', info.ContainersPaused ?? 0);
  s += line('  Stopped:', info.ContainersStopped ?? 0);
  s += line(' Images:', info.Images ?? 0);
  s += lineNonEmpty(' Server Version:', info.ServerVersion);
  s += lineNonEmpty(' Storage Driver:', info.Driver);
  for (const pair of (info.DriverStatus as unknown[][] | null) ?? []) s += `  ${str(pair[0])}: ${str(pair[1])}\n`;
  for (const pair of (info.SystemStatus as unknown[][] | null) ?? []) s += ` ${str(pair[0])}: ${str(pair[1])}\n`;
  s += lineNonEmpty(' Logging Driver:', info.LoggingDriver);
  s += lineNonEmpty(' Cgroup Driver:', info.CgroupDriver);
  s += lineNonEmpty(' Cgroup Version:', info.CgroupVersion);
  const plugins = (info.Plugins as Info | undefined) ?? {};
  s += ' Plugins:\n';
  s += line('  Volume:', list(plugins.Volume).join(' '));
  s += line('  Network:', list(plugins.Network).join(' '));
  if (list(plugins.Authorization).length) s += line('  Authorization:', list(plugins.Authorization).join(' '));
  s += line('  Log:', list(plugins.Log).join(' '));
  const cdi = list(info.CDISpecDirs);
  if (cdi.length) s += ' CDI spec directories:\n' + cdi.map((d) => `  ${d}\n`).join('');
  const swarm = (info.Swarm as Info | undefined) ?? {};
  s += line(' Swarm:', swarm.LocalNodeState ?? 'inactive');
  const runtimes = Object.keys((info.Runtimes as Info | undefined) ?? {});
  if (runtimes.length) {
    s += line(' Runtimes:', runtimes.join(' '));
    s += line(' Default Runtime:', info.DefaultRuntime);
  }
  if (info.OSType === 'linux') {
    s += line(' Init Binary:', info.InitBinary);
    for (const [name, key] of [
      ['containerd', 'ContainerdCommit'],
      ['runc', 'RuncCommit'],
      ['init', 'InitCommit'],
    ] as const) {
      s += ` ${name} version: ${str((info[key] as Info | undefined)?.ID)}\n`;
    }
    const secopts = list(info.SecurityOptions);
    if (secopts.length) {
      s += ' Security Options:\n';
      for (const so of secopts) {
        const kv = new Map(so.split(',').map((p) => [p.slice(0, p.indexOf('=') < 0 ? p.length : p.indexOf('=')), p.indexOf('=') < 0 ? '' : p.slice(p.indexOf('=') + 1)]));
        s += `  ${kv.get('name') ?? so}\n`;
        if (kv.has('profile')) s += `   Profile: ${kv.get('profile')}\n`;
      }
    }
  }
  if (info.OSType === 'windows') s += line(' Default Isolation:', info.Isolation);
  s += lineNonEmpty(' Kernel Version:', info.KernelVersion);
  s += lineNonEmpty(' Operating System:', info.OperatingSystem);
  s += lineNonEmpty(' OSType:', info.OSType);
  s += lineNonEmpty(' Architecture:', info.Architecture);
  s += line(' CPUs:', info.NCPU ?? 0);
  s += line(' Total Memory:', bytesSize(Number(info.MemTotal ?? 0)));
  s += lineNonEmpty(' Name:', info.Name);
  s += lineNonEmpty(' ID:', info.ID);
  s += line(' Docker Root Dir:', info.DockerRootDir);
  s += line(' Debug Mode:', info.Debug === true);
  if (info.Debug === true || clientDebug) {
    s += line('  File Descriptors:', info.NFd);
    s += line('  Goroutines:', info.NGoroutines);
    s += line('  System Time:', info.SystemTime);
    s += line('  EventsListeners:', info.NEventsListener);
  }
  s += lineNonEmpty(' HTTP Proxy:', info.HttpProxy);
  s += lineNonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  s += lineNonEmpty(' No Proxy:', info.NoProxy);
  const labels = list(info.Labels);
  if (labels.length) s += ' Labels:\n' + labels.map((l) => `  ${l}\n`).join('');
  s += line(' Experimental:', info.ExperimentalBuild === true);
  const reg = info.RegistryConfig as Info | null | undefined;
  const cidrs = list(reg?.InsecureRegistryCIDRs);
  const indexConfigs = Object.values((reg?.IndexConfigs as Record<string, Info> | undefined) ?? {});
  if (reg && (cidrs.length || indexConfigs.length)) {
    s += ' Insecure Registries:\n';
    for (const ic of indexConfigs) if (ic.Secure === false) s += `  ${str(ic.Name)}\n`;
    for (const c of cidrs) s += `  ${c}\n`;
  }
  const mirrors = list(reg?.Mirrors);
  if (mirrors.length) s += ' Registry Mirrors:\n' + mirrors.map((m) => `  ${m}\n`).join('');
  s += line(' Live Restore Enabled:', info.LiveRestoreEnabled === true);
  if (info.ProductLicense) s += line(' Product License:', info.ProductLicense);
  const pools = (info.DefaultAddressPools as Info[] | null | undefined) ?? [];
  if (pools.length) s += ' Default Address Pools:\n' + pools.map((p) => `   Base: ${str(p.Base)}, Size: ${str(p.Size)}\n`).join('');
  return s + '\n';
}

export const infoCommand: CommandImpl = {
  flags: [formatFlag({ table: false, short: true })],
  args: { max: 0 },
  async run(ctx, f) {
    const version = await ctx.version();
    const client = await ctx.client();
    let info: InfoResponse | null = null;
    let serverErr: Error | null = null;
    try {
      info = await client.info();
    } catch (err) {
      serverErr = err as Error;
    }
    const format = f.string('format');
    if (format) {
      const { Template } = await import('../template/index.js');
      let out: string;
      try {
        const data = { ...(info ?? {}), ClientInfo: { Debug: ctx.debug, Version: version, Context: 'default', Plugins: [], Warnings: null }, ...(serverErr ? { ServerErrors: [serverErr.message] } : {}) };
        out = Template.parse(format === 'json' ? '{{json .}}' : format).execute(data);
      } catch (err) {
        throw new StatusError(1, `template parsing error: ${(err as Error).message}`);
      }
      await writeOut(ctx.stdout, out + '\n');
      if (serverErr) throw new StatusError(1, serverErr.message);
      return;
    }
    let s = `Client:\n Version:    ${version}\n Context:    default\n Debug Mode: ${ctx.debug}\n\nServer:\n`;
    if (!info) {
      await writeOut(ctx.stdout, s);
      throw new StatusError(1, serverErr!.message);
    }
    s += serverInfoText(info, ctx.debug);
    await writeOut(ctx.stdout, s);
    for (const w of list(info.Warnings)) ctx.stderr.write(`${w}\n`);
  },
};

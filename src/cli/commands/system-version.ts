/** `version`: client and daemon versions, laid out as docker's. */
import type { VersionResponse } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut, type CliContext } from '../context.js';
import { TabWriter } from '../format/tab-writer.js';
import { formatFlag } from './common-flags.js';
import { goArch } from '../../util/go-arch.js';

export interface ClientVersion {
  Platform: { Name: string };
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  BuildTime: string;
  Context: string;
}

export async function clientVersion(ctx: CliContext, apiVersion: string, defaultApiVersion: string): Promise<ClientVersion> {
  return {
    Platform: { Name: '' },
    Version: await ctx.version(),
    ApiVersion: apiVersion,
    DefaultAPIVersion: defaultApiVersion,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: process.platform,
    Arch: goArch(),
    BuildTime: '',
    Context: 'default',
  };
}

/** The default `version` text (before the tabwriter). */
export function versionText(client: ClientVersion, server: VersionResponse | null): string {
  let s = `Client:${client.Platform.Name ? ' ' + client.Platform.Name : ''}\n`;
  s += ` Version:\t${client.Version}\n`;
  s += ` API version:\t${client.ApiVersion}${client.ApiVersion !== client.DefaultAPIVersion ? ` (downgraded from ${client.DefaultAPIVersion})` : ''}\n`;
  s += ` Go version:\t${client.GoVersion}\n Git commit:\t${client.GitCommit}\n Built:\t${client.BuildTime}\n OS/Arch:\t${client.Os}/${client.Arch}\n Context:\t${client.Context}`;
  if (!server) return s;
  s += `\n\nServer:${server.Platform?.Name ? ' ' + server.Platform.Name : ''}`;
  const components = server.Components ?? [
    { Name: 'Engine', Version: server.Version, Details: { ApiVersion: server.ApiVersion, MinAPIVersion: server.MinAPIVersion ?? '', GoVersion: server.GoVersion ?? '', GitCommit: server.GitCommit ?? '', BuildTime: server.BuildTime ?? '', Os: server.Os, Arch: server.Arch, Experimental: String(server.Experimental ?? false) } },
  ];
  for (const c of components) {
    const d = c.Details ?? {};
    s += `\n ${c.Name}:`;
    if (c.Name === 'Engine') {
      s += `\n  Version:\t${c.Version}\n  API version:\t${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})\n  Go version:\t${d.GoVersion ?? ''}`;
      s += `\n  Git commit:\t${d.GitCommit ?? ''}\n  Built:\t${d.BuildTime ?? ''}\n  OS/Arch:\t${d.Os ?? ''}/${d.Arch ?? ''}\n  Experimental:\t${d.Experimental ?? ''}`;
    } else {
      s += `\n  Version:\t${c.Version}`;
      for (const k of Object.keys(d).sort()) s += `\n  ${k}:\t${d[k]}`;
    }
  }
  return s;
}

export const versionCommand: CommandImpl = {
  flags: [formatFlag({ table: false, short: true })],
  args: { max: 0 },
  async run(ctx, f) {
    const format = f.string('format');
    let tmpl: import('../template/index.js').Template | null = null;
    if (format) {
      const { Template } = await import('../template/index.js');
      try {
        tmpl = Template.parse(format === 'json' ? '{{json .}}' : format);
      } catch (err) {
        throw new StatusError(1, `template parsing error: ${(err as Error).message}`);
      }
    }
    const client = await ctx.client();
    let server: VersionResponse | null = null;
    let serverErr: Error | null = null;
    try {
      server = await client.serverVersion();
    } catch (err) {
      serverErr = err as Error;
    }
    const cv = await clientVersion(ctx, client.apiVersion, client.defaultApiVersion);
    if (tmpl) {
      try {
        await writeOut(ctx.stdout, tmpl.execute({ Client: cv, Server: server }) + '\n');
      } catch (err) {
        throw new StatusError(1, `template parsing error: ${(err as Error).message}`);
      }
    } else {
      const w = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 1 });
      w.write(versionText(cv, server) + '\n');
      await writeOut(ctx.stdout, w.flush());
    }
    if (serverErr) throw new StatusError(1, serverErr.message);
  },
};

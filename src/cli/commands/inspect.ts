/** `inspect`, `container inspect`, `image inspect`: raw JSON or a template per object. */
import { ApiError, type EngineClient } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut, type CliContext } from '../context.js';
import type { FlagSpec } from '../flags/flag-set.js';
import { compactJson, indentJson } from '../format/json-indent.js';
import { formatFlag } from './common-flags.js';

type Getter = (ref: string) => Promise<{ raw: string }>;

/** Runs `get` for each reference and prints the results as docker's inspect does. */
export async function inspectAll(ctx: CliContext, refs: readonly string[], format: string, get: Getter): Promise<void> {
  const errs: string[] = [];
  const raws: string[] = [];
  let tmpl: import('../template/index.js').Template | null = null;
  if (format !== '' && format !== 'json') {
    const t = await import('../template/index.js');
    try {
      tmpl = t.Template.parse(format);
    } catch (err) {
      throw new StatusError(64, `template parsing error: ${(err as Error).message}`);
    }
  }
  let out = '';
  for (const ref of refs) {
    let raw: string;
    try {
      raw = (await get(ref)).raw;
    } catch (err) {
      errs.push((err as Error).message);
      continue;
    }
    if (!tmpl) {
      raws.push(raw.trim());
      continue;
    }
    try {
      out += tmpl.execute(JSON.parse(raw), { missingKey: 'error' }) + '\n';
    } catch (err) {
      errs.push(`template parsing error: ${(err as Error).message}`);
    }
  }
  if (format === '') out = raws.length === 0 ? '[]\n' : indentJson(`[${raws.join(',')}]`) + '\n';
  else if (format === 'json') out = `[${raws.map(compactJson).join(',')}]\n`;
  else if (out === '') out = '\n';
  await writeOut(ctx.stdout, out);
  if (errs.length) throw new StatusError(1, errs.join('\n'));
}

const sizeFlag: FlagSpec = { name: 'size', short: 's', kind: 'bool', usage: 'Show total file sizes' };

export const containerInspectCommand: CommandImpl = {
  flags: [formatFlag({ table: false, short: true }), sizeFlag],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    await inspectAll(ctx, f.args, f.string('format'), (ref) => client.containerInspectRaw(ref, { size: f.bool('size') }));
  },
};

export const imageInspectCommand: CommandImpl = {
  flags: [formatFlag({ table: false, short: true }), { name: 'platform', kind: 'string', usage: 'Inspect this platform of a multi-platform image (os[/arch[/variant]])' }],
  args: { min: 1 },
  async run(ctx, f) {
    const client = await ctx.client();
    await inspectAll(ctx, f.args, f.string('format'), (ref) => client.imageInspectRaw(ref));
  },
};

const objectTypes = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

function skippable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 501);
}

function getters(client: EngineClient, size: boolean): Array<[string, Getter]> {
  return [
    ['container', (ref) => client.containerInspectRaw(ref, { size })],
    ['image', (ref) => client.imageInspectRaw(ref)],
    ['network', (ref) => client.rawGet(`/networks/${encodeURIComponent(ref)}`)],
    ['volume', (ref) => client.rawGet(`/volumes/${encodeURIComponent(ref)}`)],
  ];
}

export const inspectCommand: CommandImpl = {
  flags: [
    formatFlag({ table: false, short: true }),
    { name: 'size', short: 's', kind: 'bool', usage: 'Show total file sizes for containers' },
    { name: 'type', kind: 'string', usage: 'Only inspect objects of this type' },
  ],
  args: { min: 1 },
  async run(ctx, f) {
    const type = f.string('type');
    if (type !== '' && !objectTypes.includes(type)) throw new StatusError(1, `unknown type: ${JSON.stringify(type)}: must be one of ${objectTypes.map((t) => JSON.stringify(t)).join(', ')}`);
    const client = await ctx.client();
    const kinds = getters(client, f.bool('size')).filter(([k]) => type === '' || k === type);
    await inspectAll(ctx, f.args, f.string('format'), async (ref) => {
      for (const [, get] of kinds) {
        try {
          return await get(ref);
        } catch (err) {
          if (type === '' && skippable(err)) continue;
          throw err;
        }
      }
      throw new Error(`Error: No such object: ${ref}`);
    });
  },
};

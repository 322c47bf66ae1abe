/** `system df`: disk usage as docker prints it, summary or `-v` tables, with `--format`. */
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import { containerHeaders } from '../format/container-context.js';
import {
  buildCacheHeaders,
  builderSize,
  defaultDiskUsageTable,
  diskUsageHeaders,
  diskUsageRows,
  rawDiskUsageFormat,
  verboseBuildCacheTable,
  verboseContainerRows,
  verboseContainerTable,
  verboseImageRows,
  verboseImageTable,
  verboseVolumeTable,
  VerboseDiskUsage,
  VolumeRow,
  volumeHeaders,
} from '../format/disk-usage-context.js';
import { imageHeaders } from '../format/image-context.js';
import { FormatError, parseFormat, renderList, templateText } from '../format/list-format.js';
import { humanSize } from '../format/units.js';
import { TemplateExecError } from '../template/index.js';
import { formatFlag } from './common-flags.js';

export const dfCommand: CommandImpl = {
  flags: [formatFlag({ table: true }), { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' }],
  args: { max: 0 },
  async run(ctx, f) {
    const client = await ctx.client();
    const du = await client.diskUsage();
    const format = f.string('format') || 'table';
    const now = ctx.now();
    let out: string;
    try {
      if (!f.bool('verbose')) {
        out = renderList(diskUsageRows(du), { format: format === 'raw' ? rawDiskUsageFormat : format, defaultTable: defaultDiskUsageTable, headers: diskUsageHeaders });
      } else if (format === 'table') {
        const images = verboseImageRows(du.Images ?? [], true, now);
        const containers = verboseContainerRows(du.Containers ?? [], true, now);
        const volumes = (du.Volumes ?? []).map((v) => new VolumeRow(v));
        out =
          'Images space usage:\n\n' +
          renderList(images, { format: verboseImageTable, defaultTable: verboseImageTable, headers: imageHeaders }) +
          '\nContainers space usage:\n\n' +
          renderList(containers, { format: verboseContainerTable, defaultTable: verboseContainerTable, headers: containerHeaders }) +
          '\nLocal Volumes space usage:\n\n' +
          renderList(volumes, { format: verboseVolumeTable, defaultTable: verboseVolumeTable, headers: volumeHeaders }) +
          `\nBuild cache usage: ${humanSize(builderSize(du.BuildCache ?? []), 4)}\n\n` +
          renderList([], { format: verboseBuildCacheTable, defaultTable: verboseBuildCacheTable, headers: buildCacheHeaders });
      } else {
        // A custom template runs once, against all four lists.
        const trunc = format.startsWith('table');
        const all = new VerboseDiskUsage(verboseImageRows(du.Images ?? [], trunc, now), verboseContainerRows(du.Containers ?? [], trunc, now), (du.Volumes ?? []).map((v) => new VolumeRow(v)), []);
        try {
          out = parseFormat(templateText(format, '')).execute(all);
        } catch (err) {
          if (err instanceof TemplateExecError) throw new FormatError(`template parsing error: ${err.message}`);
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof FormatError) throw new StatusError(1, err.message);
      throw err;
    }
    await writeOut(ctx.stdout, out);
  },
};

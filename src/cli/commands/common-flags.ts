/** Flags and helpers several commands share. */
import type { FlagSpec } from '../flags/flag-set.js';

/** Docker's `--filter key=value` (repeatable). */
export function filterFlag(short = true): FlagSpec {
  return {
    name: 'filter',
    ...(short ? { short: 'f' } : {}),
    kind: 'list',
    type: 'filter',
    usage: 'Filter the output by conditions given as key=value',
    validate: (v) => {
      if (!v.includes('=')) throw new Error('bad format of filter (expected name=value)');
    },
  };
}

const formatHelpTable =
  "Format the output with a template:\n'table':            A table with column headers (default)\n'table TEMPLATE':   A table from the given Go template\n'json':             One JSON object per line\n'TEMPLATE':         Text from the given Go template\nTemplates work as described at https://docs.docker.com/go/formatting/";

const formatHelpPlain =
  "Format the output with a template:\n'json':             JSON\n'TEMPLATE':         Text from the given Go template\nTemplates work as described at https://docs.docker.com/go/formatting/";

export function formatFlag(opts: { table: boolean; short?: boolean }): FlagSpec {
  return { name: 'format', ...(opts.short ? { short: 'f' } : {}), kind: 'string', usage: opts.table ? formatHelpTable : formatHelpPlain };
}

/** Turns `key=value` filter flags into the API's filters map (keys lower-cased, values deduplicated). */
export function filtersFrom(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = v.slice(0, eq).trim().toLowerCase();
    const val = v.slice(eq + 1).trim();
    const list = (out[key] ??= []);
    if (!list.includes(val)) list.push(val);
  }
  return out;
}

/**
 * Docker's `--format` handling for lists (ps, images, …): `table`, `table TEMPLATE`, `json` and
 * plain templates; `\t` and `\n` written literally in the format become tab and newline; table
 * output gets a header row (the template run against the command's header names) and goes
 * through the tabwriter.
 */
import { headerFuncs, Template, TemplateExecError, TemplateParseError } from '../template/index.js';
import { TabWriter, tableOptions } from './tab-writer.js';

/** A format problem, reported as docker does: `template parsing error: …`. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/** The template text Docker runs for a `--format` value. */
export function templateText(format: string, defaultTable: string): string {
  let f = format;
  if (f === '' || f === 'table') f = defaultTable;
  else if (f === 'json') f = '{{json .}}';
  if (f.startsWith('table')) f = f.slice('table'.length);
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

export function parseFormat(text: string): Template {
  try {
    return Template.parse(text);
  } catch (err) {
    if (err instanceof TemplateParseError) throw new FormatError(`template parsing error: ${err.message}`);
    throw err;
  }
}

/** An object whose fields are the column headers, for rendering a table's header row. */
export function headerContext(headers: Readonly<Record<string, string>>): object {
  const proto = {
    goTypeName: 'formatter.SubHeaderContext',
    // Docker's header row shows a label column under the label's own name.
    Label(name: string): string {
      return String(name);
    },
  };
  return Object.assign(Object.create(proto) as object, headers);
}

export interface RenderOptions {
  /** The user's `--format` ('' for the default). */
  readonly format: string;
  /** The command's default, e.g. `table {{.ID}}\t{{.Image}}`. */
  readonly defaultTable: string;
  /** Field name → column header (`ID` → `CONTAINER ID`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Renders `items` as Docker does; throws FormatError for template problems. */
export function renderList(items: readonly unknown[], opts: RenderOptions): string {
  const fmt = opts.format === '' ? opts.defaultTable : opts.format;
  const table = isTableFormat(fmt);
  const tmpl = parseFormat(templateText(fmt, opts.defaultTable));
  let body = '';
  for (const item of items) {
    try {
      body += tmpl.execute(item) + '\n';
    } catch (err) {
      if (err instanceof TemplateExecError) throw new FormatError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  if (!table) return body;
  let header = '';
  try {
    header = tmpl.execute(headerContext(opts.headers), { funcs: headerFuncs });
  } catch {
    // Docker ignores errors in the header row.
  }
  const w = new TabWriter(tableOptions);
  w.write(header + '\n' + body);
  return w.flush();
}

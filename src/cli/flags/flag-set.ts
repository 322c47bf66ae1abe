/**
 * Command-line flags with pflag's rules (what Docker's CLI uses):
 * `--name=value` and `--name value`; `-abc` for combined booleans; `-eA=B`, `-e A=B` and `-e=A=B`;
 * `--bool=false`; repeated list flags accumulate; `--` ends the flags; with `interspersed: false`
 * parsing stops at the first positional argument (run, create, exec), so
 * `run busybox ls -l` leaves `-l` to the container.
 */

export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly usage: string;
  /** The type word shown in help (`string`, `int`, `list`, `bytes`, `decimal`, `filter` …); none for bools. */
  readonly type?: string;
  /** Initial value (bool, string or int flags). */
  readonly default?: string | number | boolean;
  /** Overrides the `(default …)` text in help; `''` hides it. */
  readonly defaultText?: string;
  readonly hidden?: boolean;
  /** Checks one value; a thrown Error's message becomes the reason in `invalid argument …`. */
  readonly validate?: (value: string) => void;
}

/** A usage problem: docker prints it with the command's usage line and exits 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParseOptions {
  /** false: stop at the first positional argument. */
  readonly interspersed?: boolean;
}

type Value = boolean | string | number | string[];

export class ParsedFlags {
  readonly args: string[] = [];
  /** `--help` (or `-h` where the command has no `-h`) was given. */
  help = false;
  /** `-h` was used for help (docker warns that the shorthand is deprecated). */
  helpShorthand = false;
  private readonly values = new Map<string, Value>();
  private readonly changedSet = new Set<string>();

  constructor(readonly specs: readonly FlagSpec[]) {
    for (const s of specs) this.values.set(s.name, initialValue(s));
  }

  bool(name: string): boolean {
    return this.get(name, 'bool') as boolean;
  }

  string(name: string): string {
    return this.get(name, 'string') as string;
  }

  int(name: string): number {
    return this.get(name, 'int') as number;
  }

  list(name: string): string[] {
    return [...(this.get(name, 'list') as string[])];
  }

  /** Whether the flag was given on the command line (pflag's `Changed`). */
  changed(name: string): boolean {
    this.spec(name);
    return this.changedSet.has(name);
  }

  /** @internal */
  set(spec: FlagSpec, raw: string, display: string): void {
    let v: Value;
    try {
      spec.validate?.(raw);
      switch (spec.kind) {
        case 'bool':
          v = parseGoBool(raw);
          break;
        case 'int':
          v = parseGoInt(raw);
          break;
        case 'string':
          v = raw;
          break;
        case 'list': {
          const cur = this.changedSet.has(spec.name) ? (this.values.get(spec.name) as string[]) : [];
          v = [...cur, raw];
          break;
        }
      }
    } catch (err) {
      throw new FlagError(`invalid argument "${raw}" for "${display}" flag: ${(err as Error).message}`);
    }
    this.values.set(spec.name, v);
    this.changedSet.add(spec.name);
  }

  private spec(name: string): FlagSpec {
    const s = this.specs.find((x) => x.name === name);
    if (!s) throw new Error(`flag --${name} is not defined`);
    return s;
  }

  private get(name: string, kind: FlagKind): Value {
    const s = this.spec(name);
    if (s.kind !== kind) throw new Error(`flag --${name} is a ${s.kind} flag, not ${kind}`);
    return this.values.get(name)!;
  }
}

function initialValue(s: FlagSpec): Value {
  switch (s.kind) {
    case 'bool':
      return s.default === true;
    case 'int':
      return typeof s.default === 'number' ? s.default : 0;
    case 'string':
      return typeof s.default === 'string' ? s.default : '';
    case 'list':
      return [];
  }
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x, 0o/0 and 0b prefixes, underscores between digits. */
export function parseGoInt(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO]?[0-7](?:_?[0-7])*|[1-9](?:_?[0-9])*|0)$/.exec(s);
  if (!m) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const body = m[2]!.replace(/_/g, '');
  let n: bigint;
  if (/^0[xX]/.test(body)) n = BigInt(body);
  else if (/^0[bB]/.test(body)) n = BigInt(body);
  else if (/^0[oO]/.test(body)) n = BigInt('0o' + body.slice(2));
  else if (body.length > 1 && body[0] === '0') n = BigInt('0o' + body.slice(1));
  else n = BigInt(body);
  if (m[1] === '-') n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return Number(n);
}

function display(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** Parses `argv` against `specs`; throws FlagError with pflag's wording. */
export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], opts: ParseOptions = {}): ParsedFlags {
  const interspersed = opts.interspersed ?? true;
  const out = new ParsedFlags(specs);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const helpShort = !byShort.has('h');
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++]!;
    if (a === '--') {
      out.args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const body = a.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      if (name === 'help' && !byName.has('help')) {
        out.help = true;
        continue;
      }
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) out.set(spec, body.slice(eq + 1), display(spec));
      else if (spec.kind === 'bool') out.set(spec, 'true', display(spec));
      else if (i < argv.length) out.set(spec, argv[i++]!, display(spec));
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let rest = a.slice(1);
      while (rest.length > 0) {
        const c = rest[0]!;
        const spec = byShort.get(c);
        if (!spec) {
          if (c === 'h' && helpShort) {
            out.help = true;
            out.helpShorthand = true;
            rest = rest.slice(1);
            continue;
          }
          throw new FlagError(`unknown shorthand flag: '${c}' in -${a.slice(1)}`);
        }
        if (rest.length > 2 && rest[1] === '=') {
          out.set(spec, rest.slice(2), display(spec));
          rest = '';
        } else if (spec.kind === 'bool') {
          out.set(spec, 'true', display(spec));
          rest = rest.slice(1);
        } else if (rest.length > 1) {
          out.set(spec, rest.slice(1), display(spec));
          rest = '';
        } else if (i < argv.length) {
          out.set(spec, argv[i++]!, display(spec));
          rest = '';
        } else {
          throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        }
      }
      continue;
    }
    if (!interspersed) {
      out.args.push(a, ...argv.slice(i));
      break;
    }
    out.args.push(a);
  }
  return out;
}

/**
 * Help text for flags as pflag's FlagUsagesWrapped lays it out: sorted by name, usage column
 * aligned after the longest flag, text wrapped to `cols` columns.
 */
export function flagUsages(specs: readonly FlagSpec[], cols = 79): string {
  const visible = [...specs].filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  let maxlen = 0;
  for (const s of visible) {
    let line = s.short ? `  -${s.short}, --${s.name}` : `      --${s.name}`;
    const type = s.type ?? (s.kind === 'bool' ? '' : s.kind);
    if (type) line += ' ' + type;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += s.usage;
    const def = defaultText(s);
    if (def !== '') line += ` (default ${def})`;
    lines.push(line);
  }
  let out = '';
  for (const line of lines) {
    const sidx = line.indexOf('\x00');
    const spacing = ' '.repeat(maxlen - sidx);
    out += `${line.slice(0, sidx)} ${spacing} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
  }
  return out;
}

function defaultText(s: FlagSpec): string {
  if (s.defaultText !== undefined) return s.defaultText;
  switch (s.kind) {
    case 'bool':
      return s.default === true ? 'true' : '';
    case 'int':
      return typeof s.default === 'number' && s.default !== 0 ? String(s.default) : '';
    case 'string':
      return typeof s.default === 'string' && s.default !== '' ? JSON.stringify(s.default) : '';
    case 'list':
      return '';
  }
}

/** Splits `s` at the last blank before `i` (or keeps it whole when it fits within `i + slop`). */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text for a column starting at `i`, lines up to `w` wide, continuation indented. */
export function wrap(i: number, w: number, s: string): string {
  let indent = i;
  let width = w - i;
  let r = '';
  if (width < 24) {
    indent = 16;
    width = w - indent;
    r += '\n' + ' '.repeat(indent);
  }
  if (width < 24) return s.replace(/\n/g, r);
  const slop = 5;
  width -= slop;
  const pad = '\n' + ' '.repeat(indent);
  let [l, rest] = wrapN(width, slop, s);
  r += l.replace(/\n/g, pad);
  while (rest !== '') {
    [l, rest] = wrapN(width, slop, rest);
    r += pad + l.replace(/\n/g, pad);
  }
  return r;
}

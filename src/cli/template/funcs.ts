/**
 * Template functions: Go's builtins (eq ne lt le gt ge and or not len index slice print println
 * printf html js urlquery) and the extras Docker's CLI adds (json join split lower upper title
 * truncate pad).
 */
import { formatValue, goTypeName, isGoStruct, isMap, sprint, sprintf, sprintln } from './go-fmt.js';

/** Parameter kinds checked before a call, with Go's "wrong type for value" wording. */
export type ParamKind = 'any' | 'string' | 'int' | 'strings';

export interface FuncSpec {
  readonly fn: (...args: unknown[]) => unknown;
  readonly params: readonly ParamKind[];
  /** The kind of further arguments, when the function is variadic. */
  readonly variadic?: ParamKind;
}

export type FuncMap = ReadonlyMap<string, FuncSpec>;

/** Thrown by a function; reported as `error calling NAME: MESSAGE`. */
export class FuncError extends Error {}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function basicKind(v: unknown): Kind {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function numeric(k: Kind): boolean {
  return k === 'int' || k === 'float';
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let t: boolean;
    if (k1 !== k2 && !(numeric(k1) && numeric(k2))) {
      if (k1 !== 'nil' && k2 !== 'nil') throw new FuncError('incompatible types for comparison');
      t = false;
    } else if (k1 === 'other') {
      if (Array.isArray(a) || isMap(a)) throw new FuncError(`non-comparable type ${formatValue(a)}: ${goTypeName(a)}`);
      t = a === b;
    } else if (k1 === 'nil') {
      t = true;
    } else {
      t = a === b || (typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as number) === BigInt(b as number) : false);
    }
    if (t) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'other' || k1 === 'nil' || k1 === 'bool') throw new FuncError('invalid type for comparison');
  if (k1 !== k2 && !(numeric(k1) && numeric(k2))) throw new FuncError('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function len(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  if (v === null || v === undefined) throw new FuncError('len of nil pointer');
  throw new FuncError(`len of type ${goTypeName(v)}`);
}

function indexArg(v: unknown, cap: number): number {
  if (v === null || v === undefined) throw new FuncError('cannot index slice/array with nil');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FuncError(`cannot index slice/array with type ${goTypeName(v)}`);
  if (v < 0 || v >= cap) throw new FuncError(`index out of range: ${v}`);
  return v;
}

function index(item: unknown, ...idx: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('index of untyped nil');
  let cur: unknown = item;
  for (const i of idx) {
    if (cur === null || cur === undefined) throw new FuncError('index of nil pointer');
    if (Array.isArray(cur)) cur = cur[indexArg(i, cur.length)];
    else if (typeof cur === 'string') cur = Buffer.from(cur, 'utf8')[indexArg(i, Buffer.byteLength(cur))];
    else if (isMap(cur)) {
      if (typeof i !== 'string') throw new FuncError(`value has type ${goTypeName(i)}; should be string`);
      if (Object.hasOwn(cur, i)) cur = cur[i];
      else {
        // The zero value of the map's element type: "" for string maps (labels), nil otherwise.
        cur = Object.values(cur).every((x) => typeof x === 'string') ? '' : null;
      }
    } else throw new FuncError(`can't index item of type ${goTypeName(cur)}`);
  }
  return cur;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('slice of untyped nil');
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  let length: number;
  if (typeof item === 'string') {
    if (idx.length === 3) throw new FuncError('cannot 3-index slice a string');
    length = Buffer.byteLength(item);
  } else if (Array.isArray(item)) length = item.length;
  else throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const n = idx.map((i) => indexArg(i, length + 1));
  const from = n[0] ?? 0;
  const to = n[1] ?? length;
  if (from > to) throw new FuncError(`invalid slice index: ${from} > ${to}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(from, to).toString('utf8');
  return item.slice(from, to);
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]|[\x00-\x1f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '"':
        return '\\"';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    }
  });
}

function evalArgsString(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

/** json.Marshal without HTML escaping, as Docker's `json` function does it. */
export function toGoJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)) ?? 'null';
}

/** json.Marshal with its default HTML escaping (`<` → `\u003c`), as MarshalJSON methods produce. */
export function toGoJsonEscaped(v: unknown): string {
  return toGoJson(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** strings.Title: upper-cases letters that start a word. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = /[A-Za-z0-9_]/.test(prev) ? false : /[\x00-\x7f]/.test(prev) ? true : /[\p{L}\p{N}]/u.test(prev) ? false : /\s/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

const builtins: Array<[string, FuncSpec]> = [
  ['and', { fn: () => undefined, params: ['any'], variadic: 'any' }],
  ['or', { fn: () => undefined, params: ['any'], variadic: 'any' }],
  ['not', { fn: (a) => !truth(a), params: ['any'] }],
  ['len', { fn: len, params: ['any'] }],
  ['index', { fn: index, params: ['any'], variadic: 'any' }],
  ['slice', { fn: slice, params: ['any'], variadic: 'any' }],
  ['print', { fn: (...a) => sprint(a), params: [], variadic: 'any' }],
  ['println', { fn: (...a) => sprintln(a), params: [], variadic: 'any' }],
  ['printf', { fn: (f, ...a) => sprintf(f as string, a), params: ['string'], variadic: 'any' }],
  ['eq', { fn: (a, ...b) => eq(a, ...b), params: ['any'], variadic: 'any' }],
  ['ne', { fn: (a, b) => !eq(a, b), params: ['any', 'any'] }],
  ['lt', { fn: (a, b) => lt(a, b), params: ['any', 'any'] }],
  ['le', { fn: (a, b) => lt(a, b) || eq(a, b), params: ['any', 'any'] }],
  ['gt', { fn: (a, b) => !lt(a, b) && !eq(a, b), params: ['any', 'any'] }],
  ['ge', { fn: (a, b) => !lt(a, b), params: ['any', 'any'] }],
  ['html', { fn: (...a) => htmlEscape(evalArgsString(a)), params: [], variadic: 'any' }],
  ['js', { fn: (...a) => jsEscape(evalArgsString(a)), params: [], variadic: 'any' }],
  ['urlquery', { fn: (...a) => encodeURIComponent(evalArgsString(a)).replace(/%20/g, '+'), params: [], variadic: 'any' }],
];

const dockerFuncs: Array<[string, FuncSpec]> = [
  ['json', { fn: (v) => (isGoStruct(v) && typeof (v as { goJSON?: unknown }).goJSON === 'function' ? (v as unknown as { goJSON: () => string }).goJSON() : toGoJson(v)), params: ['any'] }],
  ['split', { fn: (s, sep) => goSplit(s as string, sep as string), params: ['string', 'string'] }],
  ['join', { fn: (a, sep) => (a as string[]).join(sep as string), params: ['strings', 'string'] }],
  ['title', { fn: (s) => goTitle(s as string), params: ['string'] }],
  ['lower', { fn: (s) => (s as string).toLowerCase(), params: ['string'] }],
  ['upper', { fn: (s) => (s as string).toUpperCase(), params: ['string'] }],
  ['pad', { fn: (s, b, a) => (s === '' ? '' : ' '.repeat(Math.max(0, b as number)) + (s as string) + ' '.repeat(Math.max(0, a as number))), params: ['string', 'int', 'int'] }],
  ['truncate', { fn: (s, n) => truncateBytes(s as string, n as number), params: ['string', 'int'] }],
];

/** strings.Split: an empty separator splits into characters. */
function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

function truncateBytes(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length < n) return s;
  return b.subarray(0, Math.max(0, n)).toString('utf8');
}

/** Go's builtins plus Docker's template functions. */
export const defaultFuncs: FuncMap = new Map([...builtins, ...dockerFuncs]);

/**
 * Docker's header functions: when a `table` format's header row is rendered, the formatting
 * functions pass the header text through unchanged.
 */
export const headerFuncs: FuncMap = new Map([
  ...builtins,
  ['json', { fn: (v: unknown) => v, params: ['any'] }],
  ['split', { fn: (v: unknown) => v, params: ['any', 'any'] }],
  ['join', { fn: (v: unknown) => v, params: ['any', 'any'] }],
  ['title', { fn: (v: unknown) => v, params: ['any'] }],
  ['lower', { fn: (v: unknown) => v, params: ['any'] }],
  ['upper', { fn: (v: unknown) => v, params: ['any'] }],
  ['pad', { fn: (v: unknown) => v, params: ['any', 'any', 'any'] }],
  ['truncate', { fn: (v: unknown) => v, params: ['any', 'any'] }],
]);

/** Checks an argument against a parameter kind; returns Go's message when it does not fit. */
export function checkParam(kind: ParamKind, v: unknown): string | null {
  switch (kind) {
    case 'any':
      return null;
    case 'string':
      return typeof v === 'string' ? null : `wrong type for value; expected string; got ${goTypeName(v)}`;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? null : `wrong type for value; expected int; got ${goTypeName(v)}`;
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : `wrong type for value; expected []string; got ${goTypeName(v)}`;
  }
}

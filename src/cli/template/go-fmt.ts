/**
 * The parts of Go's fmt and strconv that templates show: `%v` printing of values decoded from
 * JSON, Sprint/Sprintln/Sprintf, and strconv.Quote.
 *
 * Values: undefined is Go's "no value", null is nil, numbers are ints when integral and float64
 * otherwise, arrays are slices, plain objects are maps (printed with sorted keys), and other
 * objects are structs (see GoStruct).
 */

/** Objects that behave like Go structs in templates (fields and methods by name). */
export interface GoStruct {
  /** The Go type name used in error messages, e.g. `*formatter.ContainerContext`. */
  readonly goTypeName: string;
}

export function isGoStruct(v: unknown): v is GoStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { goTypeName?: unknown }).goTypeName === 'string';
}

export function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isGoStruct(v)) return v.goTypeName;
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/** `%v`. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  return formatInner(v);
}

function formatInner(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(formatInner).join(' ')}]`;
  if (isGoStruct(v)) {
    const s = (v as { toString?: () => string }).toString;
    return typeof s === 'function' && s !== Object.prototype.toString ? s.call(v) : `{${v.goTypeName}}`;
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${formatInner(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return formatFloatG(n, -1);
}

/** Digits and decimal-point position of `v` (|v|), rounded to `prec` significant digits or shortest. */
function decimalDigits(v: number, prec: number): { digits: string; dp: number } {
  const e = prec < 0 ? Math.abs(v).toExponential() : Math.abs(v).toExponential(Math.max(prec - 1, 0));
  const [mant, exp] = e.split('e') as [string, string];
  let digits = mant.replace('.', '').replace(/0+$/, '');
  if (digits === '') digits = '0';
  return { digits, dp: Number(exp) + 1 };
}

/** strconv.FormatFloat(v, 'g', prec, 64); `prec` -1 means the shortest exact form. */
export function formatFloatG(v: number, prec: number, upper = false): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  if (prec === 0) prec = 1;
  if (v === 0) return (neg ? '-' : '') + '0';
  const { digits, dp } = decimalDigits(v, prec);
  const nd = digits.length;
  let eprec = prec;
  if (prec < 0) eprec = 6;
  else if (eprec > nd && nd >= dp) eprec = nd;
  const exp = dp - 1;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const mant = digits[0]! + (nd > 1 ? '.' + digits.slice(1) : '');
    out = `${mant}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (dp <= 0) {
    out = '0.' + '0'.repeat(-dp) + digits;
  } else if (dp >= nd) {
    out = digits + '0'.repeat(dp - nd);
  } else {
    out = digits.slice(0, dp) + '.' + digits.slice(dp);
  }
  return (neg ? '-' : '') + out;
}

function formatFloatE(v: number, prec: number, upper: boolean): string {
  if (!Number.isFinite(v)) return formatFloatG(v, -1);
  const s = v.toExponential(prec);
  const [m, e] = s.split('e') as [string, string];
  const en = Number(e);
  return `${m}${upper ? 'E' : 'e'}${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a === undefined ? null : a);
  });
  return out;
}

/** fmt.Sprintln: always spaces, then a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => formatValue(a === undefined ? null : a)).join(' ') + '\n';
}

/** strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f || isPrintable(ch)) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

function isPrintable(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  prec: number | null;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const w = spec.width;
  const len = [...s].length;
  if (w === null || len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  return ' '.repeat(w - len) + s;
}

function bad(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function signed(s: string, n: number, spec: Spec): string {
  if (n >= 0 && !s.startsWith('-')) {
    if (spec.plus) return '+' + s;
    if (spec.space) return ' ' + s;
  }
  return s;
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  if (Array.isArray(v) && verb !== 'v' && verb !== 'T' && verb !== 'q') {
    return pad(`[${v.map((x) => formatOne(verb, x, { ...spec, width: null })).join(' ')}]`, spec);
  }
  switch (verb) {
    case 'v':
      if (typeof v === 'number' && !Number.isInteger(v) && spec.prec !== null) return pad(signed(formatFloatG(v, spec.prec), v, spec), spec, true);
      if (typeof v === 'number') return pad(signed(formatNumber(v), v, spec), spec, true);
      return pad(formatValue(v === undefined ? null : v), spec);
    case 'T':
      return pad(goTypeName(v), spec);
    case 't':
      return typeof v === 'boolean' ? pad(String(v), spec) : bad(verb, v);
    case 's':
      if (typeof v === 'string') return pad(spec.prec !== null ? [...v].slice(0, spec.prec).join('') : v, spec);
      if (isMap(v) || isGoStruct(v)) return pad(formatValue(v), spec);
      return bad(verb, v);
    case 'q':
      if (typeof v === 'string') return pad(spec.sharp && !v.includes('`') ? '`' + v + '`' : goQuote(v), spec);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(`'${String.fromCodePoint(v)}'`, spec);
      if (Array.isArray(v)) return pad(`[${v.map((x) => formatOne('q', x, { ...spec, width: null })).join(' ')}]`, spec);
      return bad(verb, v);
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
    case 'c':
    case 'U': {
      if ((verb === 'x' || verb === 'X') && typeof v === 'string') {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
      }
      if (typeof v === 'boolean' || typeof v === 'string' || v === null || v === undefined || typeof v === 'object') return bad(verb, v);
      const n = v as number;
      if (!Number.isInteger(n)) {
        if (verb === 'x' || verb === 'X') return bad(verb, v);
        return bad(verb, v);
      }
      if (verb === 'c') return pad(String.fromCodePoint(n), spec);
      if (verb === 'U') return pad('U+' + n.toString(16).toUpperCase().padStart(4, '0'), spec);
      const radix = verb === 'd' ? 10 : verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : 16;
      let s = Math.abs(n).toString(radix);
      if (verb === 'X') s = s.toUpperCase();
      if (spec.prec !== null) s = s.padStart(spec.prec, '0');
      if (spec.sharp || verb === 'O') {
        if (verb === 'x') s = '0x' + s;
        else if (verb === 'X') s = '0X' + s;
        else if (verb === 'o' && !s.startsWith('0')) s = '0' + s;
        else if (verb === 'O') s = '0o' + s;
        else if (verb === 'b') s = '0b' + s;
      }
      if (n < 0) s = '-' + s;
      return pad(signed(s, n, spec), spec, spec.prec === null);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      let s: string;
      if (verb === 'e' || verb === 'E') s = formatFloatE(v, spec.prec ?? 6, verb === 'E');
      else if (verb === 'f' || verb === 'F') s = Number.isFinite(v) ? v.toFixed(spec.prec ?? 6) : formatFloatG(v, -1);
      else s = formatFloatG(v, spec.prec ?? -1, verb === 'G');
      return pad(signed(s, v, spec), spec, true);
    }
    default:
      return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
  }
}

/** fmt.Sprintf for the verbs templates use. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: null, prec: null };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === ' ') spec.space = true;
      else if (f === '0') spec.zero = !spec.minus;
      else break;
    }
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (typeof w === 'number' && Number.isInteger(w)) {
        spec.width = Math.abs(w);
        if (w < 0) spec.minus = true;
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) spec.prec = p;
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`))
      .join(', ')})`;
  }
  return out;
}

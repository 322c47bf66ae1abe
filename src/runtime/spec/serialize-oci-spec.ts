/**
 * JSON text of a spec for `config.json`. Like JSON.stringify, except that bigints (RLIM_INFINITY)
 * are written as exact integers, which the runtime reads as uint64.
 */
import type { OciSpec } from './oci-types.js';

function write(value: unknown, out: string[]): void {
  if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    out.push(JSON.stringify(value));
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} into an OCI spec`);
    out.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((v, i) => {
      if (i > 0) out.push(',');
      write(v === undefined ? null : v, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    out.push('{');
    let first = true;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(k), ':');
      write(v, out);
    }
    out.push('}');
  } else {
    throw new TypeError(`cannot write a ${typeof value} into an OCI spec`);
  }
}

export function serializeOciSpec(spec: OciSpec): string {
  return serializeOciJson(spec);
}

/** The same writer for parts of a spec (an exec's `process.json`). */
export function serializeOciJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

/**
 * Applies Dockerfile-style change lines (`docker import --change`, `docker commit --change`) to
 * an image's runtime config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME, WORKDIR, as Docker accepts them.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { ImageRuntimeConfig } from './oci-types.js';

const allowed = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** `["a","b"]` → ['a','b'] when the text is a JSON string array, else null (shell form). */
export function parseJsonArray(text: string): string[] | null {
  const t = text.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return null;
}

/** Splits `a=b "c d"=e f='g h'` into pairs, honouring double/single quotes and backslashes. */
export function parseKeyValuePairs(text: string): Array<[string, string]> {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`unmatched quote in: ${text}`);
  if (inWord) words.push(cur);
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`invalid key=value pair: ${JSON.stringify(w)}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e.split('=', 1)[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

export function applyConfigChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (!allowed.has(instr)) throw new InvalidArgumentError(`${m[1]!.toLowerCase()} is not a valid change command`);
    switch (instr) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const list = parseJsonArray(args) ?? ['/bin/sh', '-c', args];
        if (instr === 'CMD') cfg.Cmd = list;
        else {
          cfg.Entrypoint = list;
          // Docker resets an inherited CMD when ENTRYPOINT changes.
          if (!changes.some((c) => /^\s*cmd\b/i.test(c))) cfg.Cmd = null;
        }
        break;
      }
      case 'ENV': {
        let env = cfg.Env ?? [];
        if (/^[^\s=]+\s/.test(args) && !/^[^\s=]+=/.test(args)) {
          const sp = args.search(/\s/);
          env = setEnv(env, args.slice(0, sp), args.slice(sp).trim());
        } else {
          for (const [k, v] of parseKeyValuePairs(args)) env = setEnv(env, k, v);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of parseKeyValuePairs(args)) cfg.Labels[k] = v;
        break;
      }
      case 'EXPOSE': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of args.split(/\s+/).filter(Boolean)) {
          const mm = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
          if (!mm) throw new InvalidArgumentError(`invalid containerPort: ${p}`);
          const proto = (mm[3] ?? 'tcp').toLowerCase();
          const lo = Number(mm[1]);
          const hi = mm[2] ? Number(mm[2]) : lo;
          for (let port = lo; port <= hi; port++) cfg.ExposedPorts[`${port}/${proto}`] = {};
        }
        break;
      }
      case 'VOLUME': {
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of parseJsonArray(args) ?? args.split(/\s+/).filter(Boolean)) cfg.Volumes[v] = {};
        break;
      }
      case 'USER':
        cfg.User = args;
        break;
      case 'WORKDIR':
        cfg.WorkingDir = args.startsWith('/') ? args : `${cfg.WorkingDir ?? '/'}${(cfg.WorkingDir ?? '/').endsWith('/') ? '' : '/'}${args}`;
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = args;
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), args];
        break;
    }
  }
  return cfg;
}

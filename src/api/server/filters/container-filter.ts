/** Docker's `filters` for container lists (`docker ps --filter`) and prune. */
import type { ContainerRecord, Engine } from '../../../engine/index.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { parseRfc3339Ns } from '../../../util/time.js';

const known = new Set(['id', 'name', 'label', 'label!', 'exited', 'status', 'ancestor', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'is-task', 'publish', 'expose']);
const statuses = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

function labelMatch(labels: Record<string, string>, expr: string): boolean {
  const eq = expr.indexOf('=');
  if (eq < 0) return expr in labels;
  return labels[expr.slice(0, eq)] === expr.slice(eq + 1);
}

export function containerFilter(f: Record<string, string[]>, engine: Engine): (c: ContainerRecord) => boolean {
  for (const k of Object.keys(f)) if (!known.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  for (const s of f.status ?? []) {
    if (!statuses.has(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
  }
  for (const e of f.exited ?? []) if (!/^-?\d+$/.test(e)) throw new InvalidArgumentError(`invalid filter 'exited=${e}'`);
  const nameRes = (f.name ?? []).map((n) => {
    try {
      return new RegExp(n);
    } catch {
      throw new InvalidArgumentError(`invalid filter 'name=${n}'`);
    }
  });
  const boundary = (key: 'before' | 'since'): bigint | null => {
    const v = f[key]?.[0];
    if (v === undefined) return null;
    return parseRfc3339Ns(engine.containers.store.resolve(v).Created);
  };
  const before = boundary('before');
  const since = boundary('since');
  const ancestors = (f.ancestor ?? []).map((a) => engine.images.store.tryResolve(a)?.id ?? null);

  return (c) => {
    if (f.id?.length && !f.id.some((id) => c.Id.startsWith(id))) return false;
    if (nameRes.length && !nameRes.some((re) => re.test(c.Name) || re.test(c.Name.slice(1)))) return false;
    const labels = c.Config.Labels ?? {};
    if (f.label?.some((l) => !labelMatch(labels, l))) return false;
    if (f['label!']?.some((l) => labelMatch(labels, l))) return false;
    if (f.status?.length && !f.status.includes(c.State.Status)) return false;
    if (f.exited?.length && (c.State.Status !== 'exited' || !f.exited.includes(String(c.State.ExitCode)))) return false;
    if (f.ancestor?.length && !ancestors.some((id) => id === c.Image)) return false;
    const created = parseRfc3339Ns(c.Created) ?? 0n;
    if (before !== null && created >= before) return false;
    if (since !== null && created <= since) return false;
    if (f.network?.length && !f.network.includes(c.HostConfig.NetworkMode ?? 'none')) return false;
    if (f.volume?.length) return false;
    if (f.health?.length && !f.health.includes('none')) return false;
    if (f['is-task']?.length && f['is-task'].includes('true')) return false;
    if (f.publish?.length || f.expose?.length) {
      const exposed = Object.keys(c.Config.ExposedPorts ?? {});
      if (f.expose?.length && !f.expose.some((p) => exposed.includes(p.includes('/') ? p : `${p}/tcp`))) return false;
      if (f.publish?.length) return false;
    }
    return true;
  };
}

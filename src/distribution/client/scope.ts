/**
 * Token scopes of the distribution token spec: `repository:<name>:<actions>` (with an optional
 * class, `repository(plugin):<name>:pull`) and `registry:catalog:*`. Scopes are merged per resource
 * so one token request asks for everything a request needs, and sorted so equal sets make equal
 * cache keys.
 */
import { InvalidArgumentError } from '../../util/errors.js';

export interface Scope {
  /** `repository`, `repository(plugin)`, `registry` */
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export type RepositoryAction = 'pull' | 'push' | 'delete' | '*';

export function repositoryScope(name: string, actions: readonly RepositoryAction[]): string {
  return formatScope({ type: 'repository', name, actions });
}

export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/** Parses one scope; the name may itself hold colons (`host:5000/app` in some registries). */
export function parseScope(text: string): Scope {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) throw new InvalidArgumentError(`invalid token scope ${JSON.stringify(text)}`);
  const type = text.slice(0, first);
  const name = text.slice(first + 1, last);
  const actions = text.slice(last + 1).split(',').filter((a) => a !== '');
  if (name === '' || !/^[a-z]+(\([a-z0-9]+\))?$/i.test(type)) throw new InvalidArgumentError(`invalid token scope ${JSON.stringify(text)}`);
  return { type, name, actions };
}

/**
 * The union of scope strings (a challenge's `scope` parameter may hold several, space-separated):
 * one entry per resource, actions deduplicated and sorted, entries sorted. Unparseable parts are
 * kept verbatim so a registry's odd scope is still asked for.
 */
export function mergeScopes(...lists: ReadonlyArray<readonly string[] | string | undefined>): string[] {
  const byResource = new Map<string, { type: string; name: string; actions: Set<string> }>();
  const verbatim = new Set<string>();
  for (const list of lists) {
    if (list === undefined) continue;
    const items = typeof list === 'string' ? list.split(' ') : list.flatMap((s) => s.split(' '));
    for (const item of items) {
      if (item === '') continue;
      let s: Scope;
      try {
        s = parseScope(item);
      } catch {
        verbatim.add(item);
        continue;
      }
      const key = `${s.type}:${s.name}`;
      const entry = byResource.get(key) ?? { type: s.type, name: s.name, actions: new Set<string>() };
      for (const a of s.actions) entry.actions.add(a);
      byResource.set(key, entry);
    }
  }
  const merged = [...byResource.values()].map((e) => formatScope({ type: e.type, name: e.name, actions: [...e.actions].sort() }));
  return [...merged, ...verbatim].sort();
}

/**
 * Docker token-spec scopes (`repository:<name>:pull,push`, `registry:catalog:*`), the access a
 * request needs, and the access-control rules that decide what an account is granted.
 */

export type Action = 'pull' | 'push' | 'delete' | '*';

/** One resource and the actions wanted on (or granted for) it, as the token's `access` claim lists them. */
export interface ResourceAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

/**
 * Parses a space-separated list of scopes. The name may hold `:` only where the type allows it
 * (never here: repository names have none), so the first and last colons split the parts.
 * Malformed entries are dropped, as docker's token servers do.
 */
export function parseScopes(raw: string | readonly string[]): ResourceAccess[] {
  const parts = (typeof raw === 'string' ? [raw] : raw).flatMap((s) => s.split(' ')).filter((s) => s !== '');
  const out: ResourceAccess[] = [];
  for (const p of parts) {
    const first = p.indexOf(':');
    const last = p.lastIndexOf(':');
    if (first <= 0 || last === first) continue;
    const type = p.slice(0, first);
    const name = p.slice(first + 1, last);
    const actions = p.slice(last + 1).split(',').filter((a) => a !== '');
    if (name === '' || actions.length === 0) continue;
    out.push({ type, name, actions: [...new Set(actions)] });
  }
  return out;
}

export function formatScope(a: ResourceAccess): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/** One access-control rule: who (account), on what (a name glob), may do what. */
export interface AccessRule {
  /** An account name, `*` for any authenticated account, or `anonymous` for requests without credentials. */
  readonly account: string;
  /** A repository name glob: `*` matches any run of characters (slashes too); `registry:catalog` names the catalog. */
  readonly name: string;
  readonly actions: readonly string[];
}

/** The rules in force when none are configured: every authenticated account may do everything. */
export const defaultAccessRules: readonly AccessRule[] = [
  { account: '*', name: '*', actions: ['*'] },
  { account: '*', name: 'registry:catalog', actions: ['*'] },
];

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Decides grants from rules; compiled once. */
export class AccessPolicy {
  private readonly rules: Array<{ account: string; name: RegExp; catalog: boolean; actions: Set<string> }>;

  constructor(rules: readonly AccessRule[]) {
    this.rules = rules.map((r) => ({
      account: r.account,
      catalog: r.name === 'registry:catalog',
      name: globToRegExp(r.name),
      actions: new Set(r.actions),
    }));
  }

  /** The subset of `wanted` that `account` (undefined: anonymous) is granted. */
  grant(account: string | undefined, wanted: readonly ResourceAccess[]): ResourceAccess[] {
    const out: ResourceAccess[] = [];
    for (const w of wanted) {
      const allowed = new Set<string>();
      for (const r of this.rules) {
        const who = account === undefined ? r.account === 'anonymous' : r.account === '*' || r.account === account;
        if (!who) continue;
        const what = w.type === 'registry' ? r.catalog && w.name === 'catalog' : w.type === 'repository' && !r.catalog && r.name.test(w.name);
        if (!what) continue;
        for (const a of r.actions) allowed.add(a);
      }
      const actions = w.actions.filter((a) => allowed.has('*') || allowed.has(a));
      if (actions.length > 0) out.push({ type: w.type, name: w.name, actions });
    }
    return out;
  }
}

/** Whether `granted` (a token's access claim) covers every action of `needed`. */
export function covers(granted: readonly ResourceAccess[], needed: ResourceAccess): boolean {
  return needed.actions.every((action) =>
    granted.some((g) => g.type === needed.type && g.name === needed.name && (g.actions.includes(action) || g.actions.includes('*'))),
  );
}

/**
 * The import rules of ARCHITECTURE.md, checked on the sources: each subsystem imports only the
 * layers below it, and other subsystems only through their index.ts (util is a toolbox of
 * single-purpose files and is imported file by file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { repoRoot } from '../helpers/test-daemon.js';

const below: Record<string, readonly string[]> = {
  util: [],
  sys: ['util'],
  state: ['util'],
  content: ['util'],
  distribution: ['util'],
  snapshots: ['state', 'sys', 'util'],
  runtime: ['sys', 'util'],
  network: ['sys', 'util'],
  images: ['content', 'distribution', 'snapshots', 'state', 'util'],
  builder: ['images', 'snapshots', 'runtime', 'network', 'distribution', 'content', 'state', 'sys', 'util'],
  engine: ['builder', 'images', 'snapshots', 'runtime', 'network', 'distribution', 'content', 'state', 'sys', 'util'],
  'api/server': ['engine', 'images', 'distribution', 'util'],
  'api/client': ['distribution', 'util'],
  registry: ['distribution', 'util'],
  compose: ['api/client', 'distribution', 'util'],
  cli: ['api/client', 'compose', 'registry', 'distribution', 'util'],
  bin: ['*'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** `api/server`, `engine`, … for a path under src/. */
function subsystemOf(relPath: string): string {
  const parts = relPath.split(sep);
  return parts[0] === 'api' ? `api/${parts[1]}` : parts[0]!;
}

test('every subsystem imports only the layers below it, through their index', () => {
  const src = join(repoRoot, 'src');
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = subsystemOf(relative(src, file));
    const allowed = below[from];
    if (!allowed) {
      problems.push(`${relative(repoRoot, file)}: subsystem "${from}" is not in the layering table of this test`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*'(\.[^']+)'/g)) {
      const target = normalize(join(dirname(file), m[1]!));
      const rel = relative(src, target);
      if (rel.startsWith('..')) continue;
      const to = subsystemOf(rel);
      if (to === from) continue;
      const where = `${relative(repoRoot, file)} imports ${m[1]}`;
      if (!allowed.includes('*') && !allowed.includes(to)) problems.push(`${where}: ${from} may not depend on ${to}`);
      if (to !== 'util' && !allowed.includes('*') && !rel.endsWith(`${sep}index.js`)) problems.push(`${where}: import ${to} through its index.ts`);
    }
  }
  assert.deepEqual(problems, []);
});

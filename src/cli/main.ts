/**
 * `berth`: global flags, command lookup, help and usage errors, and the mapping of failures to
 * docker's messages and exit statuses.
 */
import type { CommandDef, CommandImpl } from './command.js';
import { StatusError, type CliContext, type InputStream, type OutputStream, type SignalName } from './context.js';
import { FlagError, flagUsages, parseFlags, type FlagSpec, type ParsedFlags } from './flags/flag-set.js';
import { aliasList, commands, commonCommands, findCommand, groups } from './registry.js';

export const progName = 'berth';

const globalFlags: FlagSpec[] = [
  { name: 'debug', short: 'D', kind: 'bool', usage: 'Turn on debug output' },
  { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to (unix:///path or tcp://host:port)' },
  { name: 'log-level', short: 'l', kind: 'string', usage: 'Logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { name: 'version', short: 'v', kind: 'bool', usage: 'Print the version and exit' },
];

export interface MainDeps {
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  version(): Promise<string>;
  onSignal?(sig: SignalName, handler: () => void): () => void;
  onResize?(handler: () => void): () => void;
  now?(): number;
  readFile?(path: string): Promise<Buffer>;
  setRawTerminal?(raw: boolean): void;
  /** Replaces the real client (tests). */
  makeClient?(hosts: readonly string[]): Promise<import('../api/client/index.js').EngineClient>;
}

function write(w: OutputStream, text: string): void {
  w.write(text);
}

function rootUsage(): string {
  const pad = (s: string) => s.padEnd(11) + ' ';
  const byName = new Map<string, CommandDef>();
  for (const c of commands) for (const p of [c.path, ...(c.aliases ?? [])]) if (p.length === 1) byName.set(p[0]!, c);
  const common = commonCommands.filter((n) => byName.has(n));
  const others = [...byName.keys()].filter((n) => !commonCommands.includes(n)).sort();
  let s = `Usage:  ${progName} [OPTIONS] COMMAND\n\nA container engine that speaks the Docker Engine API\n\nCommon Commands:\n`;
  for (const n of common) s += `  ${pad(n)}${byName.get(n)!.summary}\n`;
  s += '\nManagement Commands:\n';
  for (const g of groups) s += `  ${pad(g.name)}${g.summary}\n`;
  s += '\nCommands:\n';
  for (const n of others) s += `  ${pad(n)}${byName.get(n)!.summary}\n`;
  s += `\nGlobal Options:\n${flagUsages(globalFlags)}`;
  s += `\nRun '${progName} COMMAND --help' for more information on a command.\n`;
  return s;
}

function groupUsage(group: string): string {
  const g = groups.find((x) => x.name === group)!;
  const subs = commands.filter((c) => c.path.length === 2 && c.path[0] === group).sort((a, b) => (a.path[1]! < b.path[1]! ? -1 : 1));
  let s = `Usage:  ${progName} ${group} COMMAND\n\n${g.summary}\n\nCommands:\n`;
  for (const c of subs) s += `  ${c.path[1]!.padEnd(11)} ${c.summary}\n`;
  s += `\nRun '${progName} ${group} COMMAND --help' for more information on a command.\n`;
  return s;
}

function usageLine(used: readonly string[], def: CommandDef): string {
  return `${progName} ${used.join(' ')}${def.usage ? ' ' + def.usage : ''}`;
}

function commandHelp(used: readonly string[], def: CommandDef, impl: CommandImpl): string {
  let s = `Usage:  ${usageLine(used, def)}\n\n${def.description ?? def.summary}\n`;
  const aliases = aliasList(def);
  if (aliases.length > 1) s += `\nAliases:\n  ${aliases.map((a) => `${progName} ${a}`).join(', ')}\n`;
  const visible = impl.flags.filter((f) => !f.hidden);
  // Where -h means something else (run, create), docker lists --help itself.
  if (visible.some((f) => f.short === 'h')) visible.push({ name: 'help', kind: 'bool', usage: 'Print usage' });
  if (visible.length > 0) s += `\nOptions:\n${flagUsages(visible)}`;
  return s;
}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

function checkArgs(used: readonly string[], def: CommandDef, impl: CommandImpl, args: readonly string[]): string | null {
  const rule = impl.args ?? {};
  const name = `'${progName} ${used.join(' ')}'`;
  const min = rule.min ?? 0;
  const max = rule.max;
  if (max === 0 && args.length > 0) return `${name} accepts no arguments`;
  if (max !== undefined && min === max && args.length !== min) return `${name} requires exactly ${min} ${plural(min)}`;
  if (max !== undefined && min > 0 && (args.length < min || args.length > max)) return `${name} requires at least ${min} and at most ${max} ${plural(max)}`;
  if (args.length < min) return `${name} requires at least ${min} ${plural(min)}`;
  if (max !== undefined && args.length > max) return `${name} requires at most ${max} ${plural(max)}`;
  void def;
  return null;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: readonly string[], deps: MainDeps): Promise<number> {
  const { stdout, stderr } = deps;
  let g: ParsedFlags;
  try {
    g = parseFlags(globalFlags, argv, { interspersed: false });
  } catch (err) {
    if (err instanceof FlagError) {
      write(stderr, `${err.message}\n\nUsage:  ${progName} [OPTIONS] COMMAND [ARG...]\n\nRun '${progName} --help' for more information\n`);
      return 125;
    }
    throw err;
  }
  if (g.bool('version')) {
    write(stdout, `Berth version ${await deps.version()}\n`);
    return 0;
  }
  let args = g.args;
  if (args[0] === 'help') {
    args = [...args.slice(1), '--help'];
  }
  if (g.help || args.length === 0 || (args.length === 1 && args[0] === '--help')) {
    write(stdout, rootUsage());
    return 0;
  }

  const group = groups.find((x) => x.name === args[0]);
  if (group && (args.length === 1 || args[1] === '--help' || args[1] === '-h')) {
    write(stdout, groupUsage(group.name));
    return 0;
  }
  const found = findCommand(args);
  if (!found) {
    if (group) {
      write(stderr, `${progName}: unknown command: ${progName} ${group.name} ${args[1]}\n\nUsage:  ${progName} ${group.name}\n\nRun '${progName} ${group.name} --help' for more information\n`);
    } else {
      write(stderr, `${progName}: unknown command: ${progName} ${args[0]}\n\nRun '${progName} --help' for more information\n`);
    }
    return 1;
  }
  const { def, used } = found;
  const impl = await def.load();
  const rest = args.slice(used.length);
  let f: ParsedFlags;
  try {
    f = parseFlags(impl.flags, rest, { interspersed: impl.interspersed ?? true });
  } catch (err) {
    if (err instanceof FlagError) {
      write(stderr, `${err.message}\n\nUsage:  ${usageLine(used, def)}\n\nRun '${progName} ${used.join(' ')} --help' for more information\n`);
      return 125;
    }
    throw err;
  }
  if (f.help) {
    if (f.helpShorthand) write(stderr, 'Flag shorthand -h has been deprecated, use --help\n');
    write(stdout, commandHelp(used, def, impl));
    return 0;
  }
  const argErr = checkArgs(used, def, impl, f.args);
  if (argErr) {
    write(stderr, `${progName}: ${argErr}\n\nUsage:  ${usageLine(used, def)}\n\nSee '${progName} ${used.join(' ')} --help' for more information\n`);
    return 1;
  }

  const debug = g.bool('debug') || deps.env.DEBUG === '1';
  const hosts = g.list('host');
  let client: Promise<import('../api/client/index.js').EngineClient> | null = null;
  const ctx: CliContext = {
    stdin: deps.stdin,
    stdout,
    stderr,
    env: deps.env,
    debug,
    client: () => {
      client ??= deps.makeClient ? deps.makeClient(hosts) : realClient(hosts, deps);
      return client;
    },
    onSignal: deps.onSignal ?? (() => () => undefined),
    onResize: deps.onResize ?? (() => () => undefined),
    version: deps.version,
    now: deps.now ?? Date.now,
    readFile: deps.readFile ?? (async (p) => (await import('node:fs/promises')).readFile(p)),
    ...(deps.setRawTerminal ? { setRawTerminal: deps.setRawTerminal } : {}),
  };
  try {
    const code = await impl.run(ctx, f);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    return reportError(ctx, err);
  }
}

async function realClient(hosts: readonly string[], deps: MainDeps): Promise<import('../api/client/index.js').EngineClient> {
  const m = await import('../api/client/index.js');
  const address = m.resolveHost(hosts, deps.env);
  return new m.EngineClient({ host: address, env: deps.env, userAgent: `Berth-Client/${await deps.version()} (linux)` });
}

function reportError(ctx: CliContext, err: unknown): number {
  if (err instanceof StatusError) {
    if (err.message) write(ctx.stderr, err.message.endsWith('\n') ? err.message : err.message + '\n');
    return err.code === 0 ? 1 : err.code;
  }
  const e = err as Error;
  write(ctx.stderr, `${e?.message ?? String(err)}\n`);
  if (ctx.debug && e?.stack) write(ctx.stderr, `${e.stack}\n`);
  return 1;
}

/**
 * berthd: opens the engine (repairing what a crash left), then serves the Engine API. On SIGTERM
 * it stops serving and exits; containers keep running under conmon and are re-adopted next start.
 */
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, delimiter, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { Engine } from '../engine/index.js';
import { ApiServer, buildRouter } from '../api/server/index.js';
import { parseDaemonArgs, parseHost, usage, type DaemonConfig } from './daemon-config.js';
import { nativeMounter, connectSeqpacket, layerUnpacker } from './native-wiring.js';
import { berthVersion } from './version.js';

const pexecFile = promisify(execFile);

function findExecutable(name: string): string | null {
  if (name.includes('/')) {
    try {
      accessSync(name, fsConstants.X_OK);
      return name;
    } catch {
      return null;
    }
  }
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

async function toolVersion(bin: string): Promise<string> {
  try {
    const { stdout } = await pexecFile(bin, ['--version']);
    const m = /version\s+(\S+)/.exec(stdout);
    return m?.[1] ?? stdout.split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

async function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function groupId(name: string): Promise<number | null> {
  if (name === '') return null;
  if (/^\d+$/.test(name)) return Number(name);
  const groups = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of groups.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined) return Number(gid);
  }
  throw new Error(`group ${name} not found`);
}

function isBerthd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berthd');
  } catch {
    return false;
  }
}

/** Refuses to start a second daemon on the same pidfile; a stale file from a crash is replaced. */
async function claimPidfile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const old = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (old > 0 && old !== process.pid && isBerthd(old)) {
    throw new Error(`pid file found, ensure berthd is not running or delete ${path}`);
  }
  await writeFile(path, `${process.pid}\n`);
}

async function daemonId(dataRoot: string): Promise<string> {
  const file = join(dataRoot, 'engine-id');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const id = createHash('sha256').update(`${Date.now()}-${Math.random()}`).digest('hex').slice(0, 32);
    const formatted = id.replace(/(.{4})/g, '$1:').slice(0, 39).toUpperCase();
    await writeFile(file, formatted + '\n');
    return formatted;
  }
}

export async function runDaemon(config: DaemonConfig): Promise<void> {
  const log = Logger.create({ level: config.logLevel });
  if (process.getuid?.() !== 0) throw new Error('berthd needs to run as root');
  const runc = findExecutable(config.runcPath);
  const conmon = findExecutable(config.conmonPath);
  if (!runc) throw new Error(`runc not found (looked for "${config.runcPath}"); install it (Debian: apt-get install runc) or pass --runc`);
  if (!conmon) throw new Error(`conmon not found (looked for "${config.conmonPath}"); install it (Debian: apt-get install conmon) or pass --conmon`);
  const initPath = findExecutable(config.initPath);
  if (!initPath) log.warn('no static init binary: --init will be refused', { initPath: config.initPath });

  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  await claimPidfile(config.pidfile);

  const engine = await Engine.open({
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    runcPath: runc,
    conmonPath: conmon,
    initPath,
    log,
    mounter: nativeMounter,
    unpackLayer: layerUnpacker,
    connectAttach: connectSeqpacket,
    registry: { insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors, userAgent: `berth/${berthVersion}` },
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConcurrentUploads: config.maxConcurrentUploads,
  });
  const [runcVersion, conmonVersion] = await Promise.all([toolVersion(runc), toolVersion(conmon)]);
  const router = buildRouter(engine, {
    version: berthVersion,
    gitCommit: '',
    runcVersion,
    conmonVersion,
    id: await daemonId(config.dataRoot),
    debug: config.debug,
  });
  const server = new ApiServer(router, log.child({ subsystem: 'api' }));
  const gid = await groupId(config.group);
  for (const h of config.hosts) {
    const addr = parseHost(h);
    if (addr.kind === 'unix') {
      await mkdir(dirname(addr.path), { recursive: true });
      if (await stat(addr.path).then(() => true, () => false)) {
        if (await socketInUse(addr.path)) throw new Error(`${addr.path} is in use by another daemon`);
        await rm(addr.path, { force: true });
      }
      await server.listenUnix(addr.path);
      await chmod(addr.path, 0o660);
      if (gid !== null) await chown(addr.path, 0, gid);
      log.info('API listening', { socket: addr.path });
    } else {
      await server.listenTcp(addr.host, addr.port);
      log.warn('API listening on TCP without TLS: anyone who can reach it controls this host', { host: addr.host, port: addr.port });
    }
  }
  log.info('berthd started', { version: berthVersion, dataRoot: config.dataRoot, pid: process.pid });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down; containers keep running', { signal });
    await server.close().catch(() => {});
    await engine.close().catch(() => {});
    for (const h of config.hosts) {
      const a = parseHost(h);
      if (a.kind === 'unix') await rm(a.path, { force: true });
    }
    await rm(config.pidfile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGPIPE', () => {});
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berthd: ${errorMessage(err)}\nSee 'berthd --help'.\n`);
    process.exit(125);
  }
  if (parsed.help) {
    process.stdout.write(usage);
    return;
  }
  if (parsed.version) {
    process.stdout.write(`Berth daemon version ${berthVersion}\n`);
    return;
  }
  try {
    await runDaemon(parsed.config);
  } catch (err) {
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(1);
  }
}

void main();

/**
 * `create` and `run`, following docker's flow: create (pulling on "No such image"), attach
 * before start, register the wait before start, start, stream, exit with the container's code.
 */
import { ApiError, type EngineClient } from '../../api/client/index.js';
import type { CommandImpl } from '../command.js';
import { StatusError, type CliContext } from '../context.js';
import type { ParsedFlags } from '../flags/flag-set.js';
import { familiarTagged, parseReference } from '../format/reference.js';
import { monitorTtySize, proxySignals, streamHijacked } from './hijack-stream.js';
import { buildCreatePlan, createFlags, runFlags, type CreatePlan } from './run-options.js';

/** docker's toStatusError: 127 for a missing executable, 126 for one that cannot run, else 125. */
export function runStatusError(err: unknown, command: 'run' | 'create', fixed?: number): StatusError {
  const msg = (err as Error).message ?? String(err);
  let code = 125;
  if (fixed !== undefined) code = fixed;
  else if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) code = 127;
  else if (/permission denied|is a directory/.test(msg)) code = 126;
  return new StatusError(code, `berth: ${msg}\n\nRun 'berth ${command} --help' for more information`);
}

function consoleSize(ctx: CliContext): [number, number] {
  return ctx.stdout.isTTY ? [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0] : [0, 0];
}

/** docker run's pull: progress on stderr (bars when it is a terminal), nothing with --quiet. */
async function pullImage(ctx: CliContext, client: EngineClient, image: string, platform: string, quiet: boolean): Promise<void> {
  // Loaded only when a pull happens: it brings the registry auth and progress code, which every
  // `run` of a local image would otherwise load for nothing.
  const { pullWithProgress } = await import('./image-pull.js');
  await pullWithProgress(ctx, client, image, { ...(platform ? { platform } : {}), out: quiet ? null : ctx.stderr });
}

/** Creates the container (pulling the image when missing, as `--pull` says); returns its id. */
export async function createContainer(ctx: CliContext, client: EngineClient, plan: CreatePlan, quiet: boolean, cidfile: string): Promise<string> {
  if (cidfile) {
    const { access } = await import('node:fs/promises');
    const exists = await access(cidfile).then(
      () => true,
      () => false,
    );
    if (exists) throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
  }
  if (plan.pull === 'always') await pullImage(ctx, client, plan.image, plan.platform, quiet);
  const opts = { ...(plan.name ? { name: plan.name } : {}), ...(plan.platform ? { platform: plan.platform } : {}) };
  let res;
  try {
    res = await client.containerCreate(plan.body, opts);
  } catch (err) {
    if (!(err instanceof ApiError && err.isNotFound && plan.pull === 'missing' && parseReference(plan.image))) throw err;
    ctx.stderr.write(`Unable to find image '${familiarTagged(plan.image)}' locally\n`);
    await pullImage(ctx, client, plan.image, plan.platform, quiet);
    res = await client.containerCreate(plan.body, opts);
  }
  for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
  if (cidfile) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(cidfile, res.Id);
  }
  return res.Id;
}

async function plan(ctx: CliContext, f: ParsedFlags, command: 'run' | 'create'): Promise<CreatePlan> {
  try {
    return await buildCreatePlan({ flags: f, args: f.args, env: ctx.env, readFile: ctx.readFile, consoleSize: consoleSize(ctx) });
  } catch (err) {
    throw runStatusError(err, command, 125);
  }
}

export const createCommand: CommandImpl = {
  flags: createFlags,
  interspersed: false,
  args: { min: 1 },
  async run(ctx, f) {
    const p = await plan(ctx, f, 'create');
    const client = await ctx.client();
    let id: string;
    try {
      id = await createContainer(ctx, client, p, f.bool('quiet'), f.string('cidfile'));
    } catch (err) {
      throw runStatusError(err, 'create');
    }
    ctx.stdout.write(`${id}\n`);
  },
};

export const runCommand: CommandImpl = {
  flags: runFlags,
  interspersed: false,
  args: { min: 1 },
  async run(ctx, f) {
    const p = await plan(ctx, f, 'run');
    const cfg = p.body as Record<string, unknown> & { HostConfig: Record<string, unknown> };
    const detach = f.bool('detach');
    const tty = cfg.Tty === true;
    if (!detach) {
      if (cfg.AttachStdin && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    } else {
      if (f.list('attach').length > 0) throw new StatusError(1, 'conflicting options: cannot specify both --attach and --detach');
      cfg.AttachStdin = false;
      cfg.AttachStdout = false;
      cfg.AttachStderr = false;
      cfg.StdinOnce = false;
    }
    const sigProxy = f.bool('sig-proxy');
    const autoRemove = cfg.HostConfig.AutoRemove === true;
    const client = await ctx.client();

    let id: string;
    try {
      id = await createContainer(ctx, client, p, f.bool('quiet'), f.string('cidfile'));
    } catch (err) {
      throw runStatusError(err, 'run');
    }

    const stopSignals = sigProxy && !detach ? proxySignals(ctx, (sig) => client.containerKill(id, sig)) : () => undefined;
    let stopResize: () => void = () => undefined;
    try {
      const attach = !!(cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr);
      let session = null;
      if (attach) {
        const detachKeys = f.string('detach-keys') || undefined;
        const conn = await client.containerAttach(id, {
          stream: true,
          stdin: !!cfg.AttachStdin,
          stdout: !!cfg.AttachStdout,
          stderr: !!cfg.AttachStderr,
          ...(detachKeys ? { detachKeys } : {}),
        });
        session = streamHijacked(ctx, {
          conn,
          tty,
          stdin: cfg.AttachStdin ? ctx.stdin : null,
          stdout: cfg.AttachStdout ? ctx.stdout : null,
          stderr: cfg.AttachStderr ? ctx.stderr : null,
          ...(detachKeys ? { detachKeys } : {}),
        });
      }

      const status = waitStatus(ctx, client, id, autoRemove ? 'removed' : 'next-exit');
      await status.registered;
      // Detached: docker prints the id without waiting for the start.
      if (!attach) ctx.stdout.write(`${id}\n`);

      try {
        await client.containerStart(id);
      } catch (err) {
        if (session) {
          session.cancel();
          await session.done;
        }
        if (autoRemove) await status.code;
        throw runStatusError(err, 'run');
      }

      if (!attach || !session) return 0;
      if (tty && ctx.stdout.isTTY) stopResize = monitorTtySize(ctx, (h, w) => client.containerResize(id, h, w));

      const first = await Promise.race([session.done.then((r) => ({ kind: 'stream' as const, r })), status.code.then((code) => ({ kind: 'exit' as const, code }))]);
      if (first.kind === 'stream') {
        if (first.r === 'detached') return 0;
        return await status.code;
      }
      // The container exited: let the rest of its output arrive, then stop.
      await session.settle(2000);
      return first.code;
    } finally {
      stopSignals();
      stopResize();
    }
  },
};

/** docker's waitExitOrRemoved: the container's exit status, or 125 when waiting failed. */
export function waitStatus(ctx: CliContext, client: EngineClient, id: string, condition: 'next-exit' | 'removed' | 'not-running'): { registered: Promise<void>; code: Promise<number> } {
  const w = client.containerWait(id, condition);
  const registered = w.then(
    () => undefined,
    () => undefined,
  );
  const code = w.then(
    async ({ result }) => {
      try {
        const r = await result;
        if (r.Error?.Message) {
          ctx.stderr.write(`Error waiting for container: ${r.Error.Message}\n`);
          return 125;
        }
        return r.StatusCode;
      } catch (err) {
        ctx.stderr.write(`error waiting for container: ${(err as Error).message}\n`);
        return 125;
      }
    },
    (err: Error) => {
      ctx.stderr.write(`error waiting for container: ${err.message}\n`);
      return 125;
    },
  );
  return { registered, code };
}

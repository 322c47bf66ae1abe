/** Docker's pattern for commands over several containers: run in parallel, report in order. */
import { StatusError, type CliContext } from '../context.js';

/**
 * Runs `op` for each name (at most 50 at once), prints each name that succeeded on stdout in
 * the order given, and fails with all error messages (exit 1) when any failed. `tolerate`
 * errors are printed to stderr without failing the command.
 */
export async function forEachName(
  ctx: CliContext,
  names: readonly string[],
  op: (name: string) => Promise<unknown>,
  opts: { print?: (name: string) => string | null; tolerate?: (err: unknown) => boolean } = {},
): Promise<void> {
  const results: Array<Promise<{ ok: true } | { ok: false; err: unknown }>> = [];
  let running = 0;
  const queue: Array<() => void> = [];
  const limit = 50;
  for (const name of names) {
    results.push(
      (async () => {
        if (running >= limit) await new Promise<void>((r) => queue.push(r));
        running++;
        try {
          await op(name);
          return { ok: true as const };
        } catch (err) {
          return { ok: false as const, err };
        } finally {
          running--;
          queue.shift()?.();
        }
      })(),
    );
  }
  const errors: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const r = await results[i]!;
    if (r.ok) {
      const line = opts.print ? opts.print(names[i]!) : names[i]!;
      if (line !== null) ctx.stdout.write(line + '\n');
    } else if (opts.tolerate?.(r.err)) {
      ctx.stderr.write(`${(r.err as Error).message}\n`);
    } else {
      errors.push((r.err as Error).message);
    }
  }
  if (errors.length > 0) throw new StatusError(1, errors.join('\n'));
}

/** The shape of a `berth` command: metadata for help and dispatch, and a lazily loaded body. */
import type { CliContext } from './context.js';
import type { FlagSpec, ParsedFlags } from './flags/flag-set.js';

export interface ArgRule {
  readonly min?: number;
  readonly max?: number;
}

export interface CommandImpl {
  readonly flags: readonly FlagSpec[];
  /** false: flags end at the first positional argument (run, create, exec). */
  readonly interspersed?: boolean;
  readonly args?: ArgRule;
  /** Exit status 125 for usage errors (docker uses it for every flag error). */
  run(ctx: CliContext, flags: ParsedFlags): Promise<number | void>;
}

export interface CommandDef {
  /** The canonical path, e.g. ['container', 'ls']. */
  readonly path: readonly string[];
  /** Other spellings, e.g. [['container', 'list'], ['container', 'ps'], ['ps']]. */
  readonly aliases?: ReadonlyArray<readonly string[]>;
  readonly summary: string;
  /** Text after the command in the usage line, e.g. `[OPTIONS] CONTAINER [CONTAINER...]`. */
  readonly usage: string;
  /** Longer description shown by --help (defaults to the summary). */
  readonly description?: string;
  readonly load: () => Promise<CommandImpl>;
}

export interface GroupDef {
  readonly name: string;
  readonly summary: string;
}

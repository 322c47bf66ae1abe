/** Signal names and numbers as Docker accepts them: `SIGTERM`, `TERM`, `term`, `15`. */
import { constants } from 'node:os';
import { InvalidArgumentError } from './errors.js';

const byName = constants.signals as Record<string, number>;

export function parseSignal(input: string | number): { name: string; number: number } {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const n = Number(input);
    const name = Object.keys(byName).find((k) => byName[k] === n && k !== 'SIGIOT' && k !== 'SIGPOLL' && k !== 'SIGUNUSED');
    if (n >= 1 && n <= 64) return { name: name ?? `SIGRTMIN+${n - 34}`, number: n };
    throw new InvalidArgumentError(`Invalid signal: ${input}`);
  }
  const up = input.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const k = Number(rt[1] ?? 0);
    const n = name.startsWith('SIGRTMIN') ? 34 + k : 64 - k;
    if (n >= 34 && n <= 64) return { name, number: n };
  }
  const n = byName[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${input}`);
  return { name, number: n };
}

/**
 * Failed syscalls surface as Node's own fs errors do: an Error with `code` ('ENOENT'), negative
 * `errno`, `syscall` and, where one applies, `path` (and `dest`). Callers test `code`.
 */
import { getSystemErrorMap } from 'node:util';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
}

export function isSystemError(err: unknown, code?: string): err is SystemError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<SystemError>;
  return typeof e.code === 'string' && typeof e.errno === 'number' && typeof e.syscall === 'string' && (code === undefined || e.code === code);
}

/** The error for a libuv status (a negated errno), worded as the addon words its errors. */
export function systemErrorFromStatus(status: number, syscall: string): SystemError {
  const [code, text] = getSystemErrorMap().get(status) ?? ['EUNKNOWN', `unknown error ${status}`];
  return Object.assign(new Error(`${code}: ${text}, ${syscall}`), { code, errno: status, syscall });
}

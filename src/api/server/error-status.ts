/** The one place where error classes become HTTP statuses, with Docker's choices. */
import { isBerthError, type ErrorCode } from '../../util/errors.js';

const statusByCode: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 409,
  UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INTERNAL: 500,
};

export function statusForError(err: unknown): number {
  if (isBerthError(err)) return statusByCode[err.code];
  if (err instanceof SyntaxError) return 400;
  return 500;
}

export function messageForError(err: unknown): string {
  if (err instanceof SyntaxError) return `invalid JSON: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

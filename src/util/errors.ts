/**
 * Error classes shared by every subsystem. Callers test the class (or `code`), never the text.
 * Only the API server turns a class into an HTTP status (see api/server/error-status.ts).
 */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED'
  | 'INTERNAL';

export abstract class BerthError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The named object does not exist: no such container, image, exec instance … */
export class NotFoundError extends BerthError {
  readonly code = 'NOT_FOUND' as const;
}

/** The request collides with existing state: a name in use, an image in use, a removal in progress. */
export class ConflictError extends BerthError {
  readonly code = 'CONFLICT' as const;
}

/** The request itself is malformed: bad JSON, bad names, out-of-range values. */
export class InvalidArgumentError extends BerthError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

/** The object is in a state that does not allow the operation (e.g. exec in a stopped container). */
export class FailedPreconditionError extends BerthError {
  readonly code = 'FAILED_PRECONDITION' as const;
}

/** A feature this node does not offer (swarm, plugins) or a dependency that is down. */
export class UnavailableError extends BerthError {
  readonly code = 'UNAVAILABLE' as const;
}

/** Berth does not implement this (yet); never answered with a silent success. */
export class NotImplementedError extends BerthError {
  readonly code = 'NOT_IMPLEMENTED' as const;
}

export class UnauthorizedError extends BerthError {
  readonly code = 'UNAUTHORIZED' as const;
}

export class ForbiddenError extends BerthError {
  readonly code = 'FORBIDDEN' as const;
}

/** Something broke that the caller could not have prevented. */
export class InternalError extends BerthError {
  readonly code = 'INTERNAL' as const;
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}

/** The errno code of a Node system error, if any ('ENOENT', 'EEXIST' …). */
export function errnoCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

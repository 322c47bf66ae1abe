/**
 * Registry answers that are not success become errors: first a RegistryError read from the spec's
 * body (or derived from the status when the body is not the spec's), then, per operation, the
 * engine classes with Docker's wording (moby daemon/internal/distribution/errors.go): a missing
 * manifest or repository and a denied pull are NotFoundError, a refused login UnauthorizedError.
 * The RegistryError stays the `cause`, so callers can still read its code.
 */
import { ForbiddenError, NotFoundError, UnauthorizedError, type BerthError } from '../../util/errors.js';
import {
  RegistryError,
  parseRegistryErrorBody,
  registryErrorCode,
  registryErrorMessages,
  type RegistryErrorCode,
} from '../registry-errors.js';
import { readBody, type HttpResponse } from './http-transport.js';

const maxErrorBody = 64 * 1024;

/** Reads the error of a non-success response (the body is consumed). */
export async function registryErrorFrom(res: HttpResponse, notFoundCode: RegistryErrorCode = 'NAME_UNKNOWN'): Promise<RegistryError> {
  let text = '';
  try {
    text = (await readBody(res, maxErrorBody, 'error body')).toString('utf8');
  } catch {
    /* an unreadable error body still leaves the status */
  }
  const parsed = parseRegistryErrorBody(text);
  const first = parsed?.errors[0];
  if (first) {
    const code = registryErrorCode(first.code);
    return new RegistryError(code, first.message || registryErrorMessages[code], first.detail, res.status);
  }
  // Token servers (Docker Hub's among them) answer `{"details": "incorrect username or password"}`.
  let details: string | undefined;
  try {
    const v = JSON.parse(text) as { details?: unknown; message?: unknown };
    details = typeof v.details === 'string' ? v.details : typeof v.message === 'string' ? v.message : undefined;
  } catch {
    /* not JSON */
  }
  const byStatus: Record<number, RegistryErrorCode> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 404: notFoundCode, 416: 'RANGE_INVALID', 429: 'TOOMANYREQUESTS' };
  const code = byStatus[res.status];
  if (code) return new RegistryError(code, details ?? registryErrorMessages[code], undefined, res.status);
  return new RegistryError('UNKNOWN', `received unexpected HTTP status: ${res.status} ${res.statusText}`.trim(), details, res.status);
}

/** Go's errcode rendering: `manifest unknown: manifest unknown`, `denied: requested access …`. */
export function describeRegistryError(e: RegistryError): string {
  if (e.code === 'UNKNOWN') return e.message;
  return `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`;
}

export interface PullErrorContext {
  /** `busybox`, `localhost:5000/app` (Docker's familiar name). */
  familiarName: string;
  /** `busybox:latest`, `localhost:5000/app@sha256:…` */
  familiarRef: string;
  /** The blob asked for, when the error is about one. */
  blob?: string;
}

/** Docker's translation of a pull-side registry error. */
export function translatePullError(e: RegistryError, ctx: PullErrorContext): BerthError | RegistryError {
  const text = describeRegistryError(e);
  switch (e.code) {
    case 'DENIED':
      return new NotFoundError(`pull access denied for ${ctx.familiarName}, repository does not exist or may require 'docker login': ${text}`, { cause: e });
    case 'MANIFEST_UNKNOWN':
      return new NotFoundError(`manifest for ${ctx.familiarRef} not found: ${text}`, { cause: e });
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${ctx.familiarName} not found: ${text}`, { cause: e });
    case 'BLOB_UNKNOWN':
      return new NotFoundError(`blob ${ctx.blob ?? ''} not found in ${ctx.familiarName}: ${text}`.replace('blob  not', 'blob not'), { cause: e });
    case 'UNAUTHORIZED':
      return new UnauthorizedError(text, { cause: e });
    default:
      return e;
  }
}

/** A push-side registry error: denied is Forbidden, unauthorized Unauthorized, the rest as is. */
export function translatePushError(e: RegistryError): BerthError | RegistryError {
  switch (e.code) {
    case 'DENIED':
      return new ForbiddenError(describeRegistryError(e), { cause: e });
    case 'UNAUTHORIZED':
      return new UnauthorizedError(describeRegistryError(e), { cause: e });
    default:
      return e;
  }
}

/** True for failures worth another attempt: the registry's 5xx (not 501) and rate limits are not. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 && status !== 501 && status !== 505;
}

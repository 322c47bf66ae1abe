/**
 * The error codes of the OCI distribution spec (and the reference registry's extras), their HTTP
 * statuses, and the JSON body both sides speak: `{"errors":[{"code","message","detail"}]}`.
 * The registry server answers with these; the registry client reads them back.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID'
  | 'UNKNOWN';

/** The status a server sends with each code when nothing more specific applies. */
export const registryErrorStatus: Readonly<Record<RegistryErrorCode, number>> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  UNKNOWN: 500,
};

/** The spec's short messages, used when a caller gives none. */
export const registryErrorMessages: Readonly<Record<RegistryErrorCode, string>> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown to registry',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'the operation is unsupported',
  TOOMANYREQUESTS: 'too many requests',
  RANGE_INVALID: 'invalid content range',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
  UNKNOWN: 'unknown error',
};

export interface RegistryErrorBody {
  errors: Array<{ code: string; message: string; detail?: unknown }>;
}

/**
 * One failure in the spec's terms. Thrown by the registry server's storage and handlers (and
 * turned into a response in one place), and by the client when a registry answers with one.
 */
export class RegistryError extends Error {
  readonly status: number;

  constructor(
    readonly code: RegistryErrorCode,
    message?: string,
    readonly detail?: unknown,
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(message ?? registryErrorMessages[code], options);
    this.name = 'RegistryError';
    this.status = status ?? registryErrorStatus[code];
  }

  toBody(): RegistryErrorBody {
    return { errors: [{ code: this.code, message: this.message, ...(this.detail !== undefined ? { detail: this.detail } : {}) }] };
  }
}

const knownCodes = new Set(Object.keys(registryErrorStatus));

/** Reads a registry's error body; undefined when it is not the spec's format. */
export function parseRegistryErrorBody(text: string): RegistryErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || !Array.isArray((value as RegistryErrorBody).errors)) return undefined;
  const errors = (value as RegistryErrorBody).errors.filter(
    (e): e is RegistryErrorBody['errors'][number] => e !== null && typeof e === 'object' && typeof e.code === 'string',
  );
  return { errors: errors.map((e) => ({ code: e.code, message: typeof e.message === 'string' ? e.message : '', ...(e.detail !== undefined ? { detail: e.detail } : {}) })) };
}

/** The code as Berth knows it (UNKNOWN for codes outside the spec). */
export function registryErrorCode(code: string): RegistryErrorCode {
  return knownCodes.has(code) ? (code as RegistryErrorCode) : 'UNKNOWN';
}

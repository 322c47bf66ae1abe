/**
 * Transport failures (refused, unresolvable, TLS, timeouts) become one error class whose message
 * names the request and host the way Docker's Go client prints them, e.g.
 * `Get "https://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`.
 */
import { UnavailableError, errnoCode } from '../../util/errors.js';

/** A request that never got an HTTP answer. `tls` tells a TLS failure apart from the others. */
export class RegistryConnectionError extends UnavailableError {
  constructor(
    message: string,
    readonly url: string,
    readonly tls: boolean,
    readonly errno: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const tlsVerifyCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** `Get`, `Head`, `Put` … as Go's url.Error spells the method. */
export function goMethod(method: string): string {
  const m = method.toUpperCase();
  return m.charAt(0) + m.slice(1).toLowerCase();
}

function hostPortOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const host = url.hostname.startsWith('[') ? url.hostname : url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname;
  return `${host}:${port}`;
}

/** Wraps a Node socket/TLS error of `method url`. Abort errors are not wrapped (callers rethrow them). */
export function connectionError(err: unknown, method: string, url: URL): RegistryConnectionError {
  const code = errnoCode(err);
  const prefix = `${goMethod(method)} "${url.href}"`;
  const msg = err instanceof Error ? err.message : String(err);
  let detail: string;
  let tls = false;
  if (code === 'ECONNREFUSED') detail = `dial tcp ${hostPortOf(url)}: connect: connection refused`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') detail = `dial tcp: lookup ${url.hostname}: no such host`;
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') detail = `dial tcp ${hostPortOf(url)}: connect: no route to host`;
  else if (code === 'ETIMEDOUT' || code === 'BERTH_TIMEOUT') detail = msg.startsWith('timeout') ? msg : `dial tcp ${hostPortOf(url)}: i/o timeout`;
  else if (code && tlsVerifyCodes.has(code)) {
    tls = true;
    detail = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  } else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    tls = true;
    detail = 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    tls = true;
    detail = `tls: failed to verify certificate: x509: ${msg}`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|http request/i.test(msg)) {
    tls = true;
    detail = 'http: server gave HTTP response to HTTPS client';
  } else if (code === 'ECONNRESET') detail = `read tcp ${hostPortOf(url)}: connection reset by peer`;
  else if (code?.startsWith('ERR_SSL') || code === 'EPROTO') {
    tls = true;
    detail = `tls: ${msg}`;
  } else detail = msg;
  return new RegistryConnectionError(`${prefix}: ${detail}`, url.href, tls, code, { cause: err });
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || errnoCode(err) === 'ABORT_ERR');
}

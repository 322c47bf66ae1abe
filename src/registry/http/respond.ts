/**
 * Responses in one place: every error the server sends is built here from a RegistryError (the
 * spec's JSON body and code, its status, a challenge header for 401s), and so are JSON bodies.
 */
import type { ServerResponse } from 'node:http';
import { RegistryError } from '../../distribution/index.js';
import { AuthChallengeError } from '../auth/index.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number | string[]> = {}, head = false): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, ...headers });
  res.end(head ? undefined : bytes);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number | string[]> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

/** Turns any failure into the spec's error response; unexpected errors become 500 UNKNOWN. */
export function sendError(res: ServerResponse, err: unknown, head: boolean): RegistryError {
  const e = err instanceof RegistryError ? err : new RegistryError('UNKNOWN', 'internal error', undefined, 500, { cause: err });
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  const headers: Record<string, string> = {};
  if (e instanceof AuthChallengeError) headers['WWW-Authenticate'] = e.challenge;
  if (e.code === 'RANGE_INVALID' && typeof (e.detail as { size?: unknown })?.size === 'number') {
    const size = (e.detail as { size: number }).size;
    headers['Range'] = `0-${Math.max(0, size - 1)}`;
  }
  sendJson(res, e.status, e.toBody(), headers, head);
  return e;
}

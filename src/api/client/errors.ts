/** Errors of the Engine API client. */
import { STATUS_CODES } from 'node:http';

/**
 * The daemon answered with a non-2xx status. `message` reads as Docker's client words it
 * (`Error response from daemon: No such container: x`); `daemonMessage` is the server's text.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`);
    this.name = 'ApiError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }

  /** Builds the error from a response body: `{"message": …}`, plain text, or the status line. */
  static fromBody(status: number, body: Buffer | string): ApiError {
    const text = body.toString().trim();
    let message = '';
    if (text) {
      try {
        const j = JSON.parse(text) as { message?: unknown };
        if (j && typeof j === 'object' && typeof j.message === 'string') message = j.message;
      } catch {
        /* not JSON */
      }
      if (!message) message = text;
    }
    if (!message) message = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
    return new ApiError(status, message);
  }
}

/** The daemon could not be reached at all (no socket, refused, reset before an answer). */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot connect to the Berth daemon at ${host}. Is the berthd daemon running?`, options);
    this.name = 'DaemonUnreachableError';
  }
}

/** An error reported inside a JSON progress stream (`{"error": …}`), e.g. a failed pull or import. */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/**
 * Test support, not exported from index.ts: the server half of a SOCK_SEQPACKET connection,
 * which Node cannot make and Berth never needs (conmon listens, Berth connects).
 */
import { addon } from './native.js';

/** A listening SOCK_SEQPACKET socket at `path` (long paths bind like conmon's); close with fs.closeSync. */
export function seqpacketListen(path: string, backlog = 16): number {
  return addon().testSeqpacketListen(path, backlog);
}

/** The next connection on `listenFd` (non-blocking, close-on-exec); rejects with ETIMEDOUT. */
export function seqpacketAccept(listenFd: number, timeoutMs = 5000): Promise<number> {
  return addon().testSeqpacketAccept(listenFd, timeoutMs);
}

/** Two connected SOCK_SEQPACKET fds. */
export function seqpacketPair(): [number, number] {
  return addon().testSeqpacketPair();
}

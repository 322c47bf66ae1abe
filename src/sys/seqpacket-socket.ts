/**
 * A SOCK_SEQPACKET unix socket as a Duplex stream: conmon's attach socket speaks it, Node's net
 * module cannot. Packets keep their boundaries: each one received is one readable chunk (the
 * readable side is in object mode, so neither read() nor async iteration glues two together);
 * each write is sent as packets of at most `maxPacket` bytes.
 *
 * The addon owns the fd and its libuv watcher (native/seqpacket-handle.c); this class decides
 * what to watch for: readable while the consumer wants data, writable while a write waits for
 * buffer space. Nothing blocks and nothing spins.
 */
import { closeSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { addon, type NativeAddon, type SocketHandle } from './native.js';
import { isSystemError, systemErrorFromStatus } from './system-error.js';

/** conmon reads its attach socket 8192 bytes at a time; a longer packet would lose its tail. */
export const DEFAULT_MAX_PACKET = 8192;

export interface SeqpacketSocketOptions {
  /** Largest packet a write sends; longer writes are split. Default DEFAULT_MAX_PACKET. */
  maxPacket?: number;
  /** Packets queued on the readable side before reading from the socket pauses. Default 16. */
  readableHighWaterMark?: number;
  /** Keep the writable side open once the peer has ended. Default false, as for net.Socket. */
  allowHalfOpen?: boolean;
}

export interface SeqpacketConnectOptions extends SeqpacketSocketOptions {
  /** How long connect keeps retrying while the listener's backlog is full (EAGAIN). Default 5000. */
  backlogRetryMs?: number;
}

/** The peer closed its end: what it sent before is still queued and worth reading. */
const PEER_GONE = new Set(['ECONNRESET', 'EPIPE']);

interface PendingWrite {
  readonly chunk: Buffer;
  offset: number;
  readonly callback: (err?: Error | null) => void;
}

export class SeqpacketSocket extends Duplex {
  readonly maxPacket: number;
  readonly #native: NativeAddon;
  /** null once destroyed: every path checks it, since a callback may destroy the stream. */
  #handle: SocketHandle | null;
  /** The consumer asked for data (_read) and has not pushed back since. */
  #wantRead = false;
  #draining = false;
  #pending: PendingWrite | null = null;
  /**
   * The addon holds its event callback weakly while nothing is watched, so that a dropped socket
   * can be collected; this field is what keeps the callback alive as long as the socket is.
   */
  readonly #onEventCallback: (status: number, events: number) => void;

  /**
   * Connects to the socket at `path`. Paths longer than sun_path (108 bytes) work: the addon
   * goes through the parent directory's /proc/self/fd entry. Rejects with a SystemError
   * (code 'ENOENT', 'ECONNREFUSED', …).
   */
  static async connect(path: string, options: SeqpacketConnectOptions = {}): Promise<SeqpacketSocket> {
    const native = addon();
    const deadline = Date.now() + (options.backlogRetryMs ?? 5000);
    for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
      let fd: number;
      try {
        fd = native.seqpacketConnect(path);
      } catch (err) {
        if (isSystemError(err, 'EAGAIN') && Date.now() < deadline) {
          await sleep(delay);
          continue;
        }
        throw err;
      }
      return new SeqpacketSocket(fd, options);
    }
  }

  /** Wraps a connected SOCK_SEQPACKET fd, taking ownership of it (it is closed if this throws). */
  static fromFd(fd: number, options: SeqpacketSocketOptions = {}): SeqpacketSocket {
    return new SeqpacketSocket(fd, options);
  }

  private constructor(fd: number, options: SeqpacketSocketOptions) {
    const maxPacket = options.maxPacket ?? DEFAULT_MAX_PACKET;
    if (!Number.isSafeInteger(maxPacket) || maxPacket < 1) {
      closeSync(fd);
      throw new RangeError(`Cannot create a seqpacket socket: maxPacket must be a positive integer, got ${maxPacket}`);
    }
    super({
      readableObjectMode: true,
      readableHighWaterMark: options.readableHighWaterMark ?? 16,
      allowHalfOpen: options.allowHalfOpen ?? false,
    });
    this.maxPacket = maxPacket;
    this.#native = addon();
    this.#onEventCallback = (status, events) => this.#onEvent(status, events);
    this.#handle = this.#native.socketOpen(fd, this.#onEventCallback);
  }

  override _read(): void {
    this.#wantRead = true;
    this.#drain();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    // A zero-length packet reads as end-of-stream at the other end; there is nothing to send.
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.#pending = { chunk, offset: 0, callback };
    this.#flush();
  }

  /** Half-close: the peer reads end-of-stream (conmon then closes the container's stdin). */
  override _final(callback: (err?: Error | null) => void): void {
    const handle = this.#handle;
    if (handle) {
      try {
        this.#native.socketShutdown(handle, this.#native.constants.SHUT_WR);
      } catch (err) {
        // The peer is already gone: its side has ended, which is all end() asks for.
        if (!isSystemError(err, 'ENOTCONN')) {
          callback(err as Error);
          return;
        }
      }
    }
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const handle = this.#handle;
    const pending = this.#pending;
    this.#handle = null;
    this.#pending = null;
    this.#wantRead = false;
    if (pending) {
      // Like writes still queued in the stream, the one in flight fails; later, so the writer's
      // callback does not run inside destroy().
      const destroyed = Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' });
      process.nextTick(pending.callback, destroyed);
    }
    if (!handle) {
      callback(err);
      return;
    }
    // 'close' follows only once the fd is really closed.
    this.#native.socketClose(handle, () => callback(err));
  }

  #onEvent(status: number, events: number): void {
    const { UV_READABLE, UV_WRITABLE } = this.#native.constants;
    let peerGone = false;
    if (status < 0) {
      const err = systemErrorFromStatus(status, 'poll');
      if (!PEER_GONE.has(err.code)) {
        this.destroy(err);
        return;
      }
      // Read what the peer sent before it left; a waiting write meets the error itself.
      peerGone = true;
    }
    if (peerGone || events & UV_WRITABLE) this.#flush();
    if (peerGone || events & UV_READABLE) this.#drain();
    this.#updatePoll();
  }

  /** Pushes packets until the socket is empty or the consumer has enough. */
  #drain(): void {
    // push() runs 'data' listeners, which may call read() and so _read(): the outer loop carries on.
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#wantRead && this.#handle) {
        let packet: Buffer | null;
        try {
          packet = this.#native.socketRecv(this.#handle);
        } catch (err) {
          // The kernel reports ECONNRESET (the peer left our packets unread) ahead of the packets
          // it still holds for us, and only once; it concerns the writer, who meets EPIPE.
          if (isSystemError(err, 'ECONNRESET')) continue;
          this.destroy(err as Error);
          return;
        }
        if (packet === null) break;
        if (packet.length === 0) {
          this.#wantRead = false;
          this.push(null);
          break;
        }
        this.#wantRead = this.push(packet);
      }
    } finally {
      this.#draining = false;
    }
    this.#updatePoll();
  }

  /** Sends the waiting write, packet by packet, until done or the socket buffer is full. */
  #flush(): void {
    const pending = this.#pending;
    const handle = this.#handle;
    if (!pending || !handle) return;
    while (pending.offset < pending.chunk.length) {
      const length = Math.min(this.maxPacket, pending.chunk.length - pending.offset);
      let sent: number;
      try {
        sent = this.#native.socketSend(handle, pending.chunk, pending.offset, length);
      } catch (err) {
        this.#pending = null;
        // Before the error tears the stream down, hand over what the peer sent while it lived.
        if (isSystemError(err) && PEER_GONE.has(err.code)) this.#drain();
        this.#updatePoll();
        pending.callback(err as Error);
        return;
      }
      if (sent < 0) {
        this.#updatePoll();
        return;
      }
      pending.offset += sent;
    }
    this.#pending = null;
    this.#updatePoll();
    pending.callback();
  }

  #updatePoll(): void {
    if (!this.#handle) return;
    const { UV_READABLE, UV_WRITABLE } = this.#native.constants;
    const events = (this.#wantRead ? UV_READABLE : 0) | (this.#pending ? UV_WRITABLE : 0);
    try {
      this.#native.socketPoll(this.#handle, events);
    } catch (err) {
      this.destroy(err as Error);
    }
  }
}

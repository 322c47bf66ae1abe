/**
 * Docker's stream framing on attach, exec and logs: without a TTY every chunk is prefixed with
 * an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian]; with a TTY bytes go raw.
 */
export const StreamType = { stdin: 0, stdout: 1, stderr: 2, systemErr: 3 } as const;

export function frame(stream: 'stdout' | 'stderr' | 'systemErr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = StreamType[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

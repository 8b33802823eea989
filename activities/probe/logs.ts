import type Docker from 'dockerode';

/**
 * Text of a non-TTY `docker logs` stream: frames of an 8-byte header (stream type, 3 zero bytes, big-endian
 * length) and their payload. A stream that does not look multiplexed (a TTY container) is taken as is.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at]!;
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return buf.toString('utf8');
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** stdout and stderr of `containers` since `sinceMs` (epoch ms; Docker counts whole seconds, so one earlier). */
export async function containerLogs(docker: Docker, containers: string[], sinceMs: number): Promise<string> {
  const texts = await Promise.all(
    containers.map(async (name) => {
      const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false, since: Math.floor(sinceMs / 1000) - 1 })) as unknown as Buffer;
      return demuxLogs(Buffer.from(buf));
    }),
  );
  return texts.join('\n');
}

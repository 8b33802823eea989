/**
 * A minimal streaming reader of the tar archives image layers are: walks the entries, keeps the bodies
 * the caller asks for, skips the rest without holding them. Handles ustar prefixes, pax `path`/`linkpath`/
 * `size` records and GNU long names (how Docker writes long paths).
 */

export interface TarEntry {
  /** Normalized: no leading `./` or `/`, no trailing `/`. */
  path: string;
  /** `0` file, `1` hard link, `2` symlink, `5` directory... (a NUL type byte reads as `0`) */
  type: string;
  linkPath: string;
  size: number;
  /** The content, for entries `want` asked for. */
  body?: Buffer;
}

export const normalizeTarPath = (p: string): string => p.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');

class Bytes {
  private chunks: Buffer[] = [];
  private have = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.chunks.push(r.value);
        this.have += r.value.length;
      }
    }
    return this.have >= n;
  }

  /** Exactly n bytes, or undefined at the end of the stream. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return all.subarray(0, n);
  }

  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.have === 0 && !(await this.fill(1))) return false;
      const first = this.chunks[0]!;
      const used = Math.min(first.length, n);
      if (used === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(used);
      this.have -= used;
      n -= used;
    }
    return true;
  }

  /** Reads what is left (so the caller's digest check sees the whole blob). */
  async drain(): Promise<void> {
    this.chunks = [];
    this.have = 0;
    while (!this.done) if ((await this.it.next()).done) this.done = true;
  }
}

const cstr = (b: Buffer, start: number, len: number): string => {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
};

function numeric(b: Buffer, start: number, len: number): number {
  const field = b.subarray(start, start + len);
  if (field[0]! & 0x80) {
    // base-256 (GNU): big-endian, the top bit of the first byte is the marker
    let n = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) n = n * 256 + byte;
    return n;
  }
  const text = cstr(b, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function paxRecords(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(body.subarray(at, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const record = body.subarray(space + 1, at + len - 1).toString('utf8'); // without the trailing newline
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

const padded = (size: number): number => Math.ceil(size / 512) * 512;

/**
 * Calls `visit` for every entry of a tar stream, in order; bodies of entries for which `want(path)` is
 * true are read (up to `maxBody` bytes, else an Error). Reads the stream to its end.
 */
export async function readTar(
  chunks: AsyncIterable<Buffer>,
  want: (path: string) => boolean,
  visit: (e: TarEntry) => void,
  maxBody = 1 << 20,
): Promise<void> {
  const bytes = new Bytes(chunks[Symbol.asyncIterator]());
  let next: { path?: string; linkPath?: string; size?: number } = {};
  for (;;) {
    const header = await bytes.take(512);
    if (!header || header.every((b) => b === 0)) break;
    const type = String.fromCharCode(header[156]!) === '\0' ? '0' : String.fromCharCode(header[156]!);
    const ustar = cstr(header, 257, 6) === 'ustar';
    const prefix = ustar ? cstr(header, 345, 155) : '';
    const name = cstr(header, 0, 100);
    if (type === 'x' || type === 'L' || type === 'K' || type === 'g') {
      const own = numeric(header, 124, 12);
      const block = await bytes.take(padded(own));
      if (!block) throw new Error('tar: truncated extended header');
      const content = block.subarray(0, own);
      if (type === 'x') {
        const r = paxRecords(content);
        next = { ...next, ...(r.path ? { path: r.path } : {}), ...(r.linkpath ? { linkPath: r.linkpath } : {}), ...(r.size ? { size: Number(r.size) } : {}) };
      } else if (type === 'L') next = { ...next, path: cstr(content, 0, content.length) };
      else if (type === 'K') next = { ...next, linkPath: cstr(content, 0, content.length) };
      continue;
    }
    const size = next.size ?? numeric(header, 124, 12);
    const path = normalizeTarPath(next.path ?? (prefix ? `${prefix}/${name}` : name));
    const linkPath = next.linkPath ?? cstr(header, 157, 100);
    next = {};
    // links, devices, directories and FIFOs carry no data whatever their size field says (POSIX)
    const hasBody = !'123456'.includes(type);
    let body: Buffer | undefined;
    if (hasBody && (type === '0' || type === '7') && want(path)) {
      if (size > maxBody) throw new Error(`tar: ${path} is larger than ${maxBody} bytes`);
      const block = await bytes.take(padded(size));
      if (!block) throw new Error(`tar: truncated body of ${path}`);
      body = Buffer.from(block.subarray(0, size));
    } else if (hasBody && !(await bytes.skip(padded(size)))) throw new Error(`tar: truncated body of ${path}`);
    visit({ path, type, linkPath, size, ...(body ? { body } : {}) });
  }
  await bytes.drain();
}

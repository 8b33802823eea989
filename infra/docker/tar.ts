/**
 * A minimal ustar archive of small text files, for `putArchive` (Docker's way of writing files into a
 * container, which also works against a remote engine). Pure: no node modules, so dynamic providers
 * can use it.
 */
export function tarFiles(files: Record<string, string>, mode = 0o644): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const [name, text] of Object.entries(files)) {
    const body = enc.encode(text);
    if (enc.encode(name).length > 99) throw new RangeError(`tar entry name too long: ${name}`);
    const header = new Uint8Array(512);
    const put = (offset: number, value: string) => header.set(enc.encode(value), offset);
    const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0');
    put(0, name);
    put(100, octal(mode, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(body.length, 12));
    put(136, octal(0, 12)); // mtime 0: the same files give the same archive
    header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
    put(156, '0');
    put(257, 'ustar\u000000');
    const sum = header.reduce((a, b) => a + b, 0);
    put(148, `${octal(sum, 7)}\u0000 `);
    blocks.push(header, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

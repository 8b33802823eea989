import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileInImage, splitPinned } from '../../activities/scan/image-user';
import { readTar, type TarEntry } from '../../activities/scan/layer-tar';
import type { Layer } from '../../activities/build/registry';
import { RegistryError } from '../../activities/errors';
import { describeUser, isRootUser, resolveUid, rootReason } from '../../model/image-user';
import { InvalidInputError } from '../../model/parse';

const D = `sha256:${'c'.repeat(64)}`;
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:10001:10001::/home/app:/bin/sh\n';

describe('isRootUser: the image config User alone', () => {
  it.each(['', '  ', 'root', 'root:root', 'root:100', '0', '0:0', '0:1000', '00', '+0', '-0', ':1000'])('%j runs as root', (user) => {
    expect(isRootUser(user)).toBe(true);
  });
  it.each(['app', 'nobody', '10001', '10001:0', 'app:root', '65534:65534', 'Root', 'rooter'])('%j is not root by itself', (user) => {
    expect(isRootUser(user)).toBe(false);
  });
});

describe('resolveUid: as the engine resolves User', () => {
  it('takes a numeric user as the uid, whatever /etc/passwd says', () => {
    expect(resolveUid('10001', '10001:x:0:0::/:/bin/sh\n')).toBe(10001);
    expect(resolveUid('0:10001', undefined)).toBe(0);
    expect(resolveUid('', undefined)).toBe(0);
  });
  it('looks a name up in /etc/passwd: first entry wins; a uid that is not a number is 0', () => {
    expect(resolveUid('app', PASSWD)).toBe(10001);
    expect(resolveUid('app:app', PASSWD)).toBe(10001);
    expect(resolveUid('nobody', PASSWD)).toBe(65534);
    expect(resolveUid('app', `${PASSWD}app:x:0:0::/:/bin/sh\n`)).toBe(10001);
    expect(resolveUid('app', `app:x:0:0::/:/bin/sh\n${PASSWD}`)).toBe(0);
    expect(resolveUid('app', '  app:x:zero:0::/:/bin/sh  \n')).toBe(0);
    expect(resolveUid('app', 'app:x:+0:0::/:/bin/sh\n')).toBe(0);
  });
  it('is undefined for a name /etc/passwd does not have; root stays 0', () => {
    expect(resolveUid('ghost', PASSWD)).toBeUndefined();
    expect(resolveUid('app', undefined)).toBeUndefined();
    expect(resolveUid('root', undefined)).toBe(0);
  });
});

describe('rootReason: the requireNonRoot decision', () => {
  const u = (user: string, uid?: number, unresolved?: string) => ({ user, configDigest: D, ...(uid !== undefined ? { uid } : {}), ...(unresolved ? { unresolved } : {}) });
  it('names the user for each root variant', () => {
    expect(rootReason(u('', 0))).toBe('the image config sets no User (""): the container runs as root');
    expect(rootReason(u('root', 0))).toBe('the image config sets User "root": the container runs as root');
    expect(rootReason(u('0', 0))).toBe('the image config sets User "0": the container runs as root');
    expect(rootReason(u('0:1000', 0))).toBe('the image config sets User "0:1000": the container runs as root');
    expect(rootReason(u('root:staff', 0))).toBe('the image config sets User "root:staff": the container runs as root');
  });
  it('blocks a name that /etc/passwd maps to uid 0, and a name it cannot resolve', () => {
    expect(rootReason(u('app', 0))).toBe(`the image config sets User "app" (uid 0), which is uid 0 in the image's /etc/passwd: the container runs as root`);
    expect(rootReason(u('app', undefined, '/etc/passwd is a symlink to /tmp/passwd'))).toBe(
      'the image config sets User "app", whose uid cannot be told (/etc/passwd is a symlink to /tmp/passwd): use a numeric USER, e.g. USER 10001',
    );
  });
  it('passes a known uid other than 0', () => {
    expect(rootReason(u('app', 10001))).toBeUndefined();
    expect(rootReason(u('10001:0', 10001))).toBeUndefined();
    expect(describeUser(u('app', 10001))).toBe('"app" (uid 10001)');
    expect(describeUser(u('10001'))).toBe('"10001"');
    expect(describeUser(u('', 0))).toBe('"" (unset)');
  });
});

describe('splitPinned', () => {
  it('splits host:port/repository@digest and refuses an image without a registry', () => {
    expect(splitPinned(`127.0.0.1:5000/team/web@${D}`)).toEqual({ registry: '127.0.0.1:5000', repository: 'team/web', digest: D });
    expect(() => splitPinned(`web@${D}`)).toThrow(InvalidInputError);
    expect(() => splitPinned(`library/web@${D}`)).toThrow(InvalidInputError);
  });
});

// --- layers: real tar archives (GNU tar), gzip-compressed like Docker's -----------------------------------

type Tree = Record<string, string | { symlink: string } | { hardlink: string } | { dir: true }>;

/** A layer blob made by the system tar from a tree of files. */
function layer(tree: Tree, format = 'gnu'): { blob: Buffer; layer: Layer } {
  const root = mkdtempSync(join(tmpdir(), 'airlock-layer-'));
  for (const [path, what] of Object.entries(tree)) {
    const full = join(root, path);
    mkdirSync(typeof what === 'object' && 'dir' in what ? full : dirname(full), { recursive: true });
    if (typeof what === 'string') writeFileSync(full, what);
    else if ('symlink' in what) symlinkSync(what.symlink, full);
    else if ('hardlink' in what) linkSync(join(root, what.hardlink), full);
  }
  const tar = execFileSync('tar', ['-C', root, `--format=${format}`, '-cf', '-', '.'], { maxBuffer: 1 << 26 });
  const blob = gzipSync(tar);
  return { blob, layer: { digest: `sha256:${createHash('sha256').update(blob).digest('hex')}`, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' } };
}

function image(...layers: { blob: Buffer; layer: Layer }[]) {
  const blobs = new Map(layers.map((l) => [l.layer.digest, l.blob]));
  return {
    client: { blobStream: async (_repo: string, digest: string) => Readable.from([blobs.get(digest)!]) },
    layers: layers.map((l) => l.layer),
  };
}

const passwdOf = async (...layers: { blob: Buffer; layer: Layer }[]) => {
  const i = image(...layers);
  const r = await fileInImage(i.client, 'svc', i.layers, 'etc/passwd');
  return r.kind === 'file' ? r.content.toString('utf8') : `${r.kind}: ${r.why}`;
};

describe('fileInImage: /etc/passwd as the running container sees it', () => {
  const base = layer({ 'etc/passwd': PASSWD, 'bin/sh': '#!', 'etc/hostname': 'x' });

  it('reads the topmost copy', async () => {
    expect(await passwdOf(base)).toBe(PASSWD);
    expect(await passwdOf(base, layer({ 'app/server.js': '1' }))).toBe(PASSWD);
    expect(await passwdOf(base, layer({ 'etc/passwd': 'app:x:0:0::/:/bin/sh\n' }), layer({ 'app/x': '1' }))).toBe('app:x:0:0::/:/bin/sh\n');
  });

  it('respects whiteouts and opaque directories', async () => {
    expect(await passwdOf(base, layer({ 'etc/.wh.passwd': '' }))).toBe('absent: is removed by a layer (whiteout)');
    expect(await passwdOf(base, layer({ '.wh.etc': '' }))).toBe('absent: is removed by a layer (whiteout)');
    expect(await passwdOf(base, layer({ 'etc/.wh..wh..opq': '', 'etc/hosts': '' }))).toBe('absent: is hidden by an opaque directory in a layer');
    expect(await passwdOf(base, layer({ 'etc/.wh..wh..opq': '', 'etc/passwd': 'a:x:1:1::/:/bin/sh\n' }))).toBe('a:x:1:1::/:/bin/sh\n');
    expect(await passwdOf(layer({ 'bin/sh': '#!' }))).toBe('absent: is not in the image');
  });

  it('does not follow links out of the file, but reads a hard link within its layer', async () => {
    expect(await passwdOf(base, layer({ 'tmp/p': 'app:x:0:0::/:/bin/sh\n', 'etc/passwd': { symlink: '/tmp/p' } }))).toBe('unsupported: is a symlink to /tmp/p');
    expect(await passwdOf(base, layer({ 'tmp/etc/passwd': 'x', etc: { symlink: '/tmp/etc' } }))).toBe('unsupported: lies under /etc, which is a symlink to /tmp/etc');
    expect(await passwdOf(base, layer({ 'etc/passwd-': 'app:x:0:0::/:/bin/sh\n', 'etc/passwd': { hardlink: 'etc/passwd-' } }))).toBe('app:x:0:0::/:/bin/sh\n');
  });

  it('refuses a layer whose bytes do not match its digest', async () => {
    const i = image(layer({ 'etc/passwd': `${PASSWD}tampered:x:1:1::/:/bin/sh\n` }));
    const tampered = { blobStream: async () => Readable.from([gzipSync(Buffer.alloc(1024))]) };
    await expect(fileInImage(tampered, 'svc', i.layers, 'etc/passwd')).rejects.toThrow(RegistryError);
    await expect(fileInImage(tampered, 'svc', i.layers, 'etc/passwd')).rejects.toThrow(/arrived with digest sha256:[0-9a-f]{64}: refused/);
  });

  it('reads pax and GNU long paths', async () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}/file.txt`;
    for (const format of ['gnu', 'pax', 'ustar']) {
      const { blob } = layer({ [long]: 'deep', 'etc/passwd': PASSWD }, format);
      const seen: TarEntry[] = [];
      await readTar(Readable.from([execFileSync('gzip', ['-dc'], { input: blob })]), (p) => p === long, (e) => seen.push(e));
      expect(seen.find((e) => e.path === long)?.body?.toString()).toBe('deep');
      expect(seen.find((e) => e.path === 'etc/passwd')).toMatchObject({ type: '0', size: PASSWD.length });
      expect(seen.find((e) => e.path === 'etc/passwd')?.body).toBeUndefined();
    }
  });
});

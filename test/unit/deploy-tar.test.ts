import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarFiles } from '../../infra/docker/tar';

describe('tarFiles', () => {
  it('writes an archive GNU tar reads back byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-tar-'));
    const files = { 'airlock/router.cfg': 'global\n  maxconn 10\n', 'airlock/backends.cfg': 'x'.repeat(1500) };
    writeFileSync(join(dir, 'a.tar'), tarFiles(files));
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
  });

  it('is deterministic and block aligned', () => {
    const a = tarFiles({ f: 'hello' });
    expect(a.length % 512).toBe(0);
    expect(Buffer.from(a).equals(Buffer.from(tarFiles({ f: 'hello' })))).toBe(true);
  });

  it('refuses names ustar cannot hold', () => {
    expect(() => tarFiles({ ['x'.repeat(120)]: '' })).toThrow(/too long/);
  });
});

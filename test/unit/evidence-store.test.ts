import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evidencePath, putEvidence, readEvidence, sha256 } from '../../activities/evidence/store';

describe('evidence store writes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-evidence-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores read-only, content-addressed files and leaves no temp file', async () => {
    const digest = await putEvidence(dir, '{"a":1}');
    expect(digest).toBe(sha256('{"a":1}'));
    expect((await stat(evidencePath(dir, digest))).mode & 0o777).toBe(0o444);
    expect(await readdir(join(dir, 'sha256'))).toEqual([digest.slice('sha256:'.length)]);
    expect(await putEvidence(dir, '{"a":1}')).toBe(digest);
  });

  it('replaces a truncated file (a torn write) instead of reusing it', async () => {
    const digest = await putEvidence(dir, 'x'.repeat(10_000));
    const file = evidencePath(dir, digest);
    await chmod(file, 0o644);
    await writeFile(file, 'x'.repeat(10)); // what a crash or a full disk can leave
    await expect(readEvidence(dir, digest)).rejects.toThrow(/corrupt/);
    expect(await putEvidence(dir, 'x'.repeat(10_000))).toBe(digest);
    expect((await readEvidence(dir, digest)).length).toBe(10_000);
  });

  it('removes its temp file when the write fails', async () => {
    const digest = sha256('y');
    // a directory where the file goes makes the rename fail after the temp file was written
    await mkdir(join(evidencePath(dir, digest), 'blocker'), { recursive: true });
    await expect(putEvidence(dir, 'y')).rejects.toThrow();
    expect((await readdir(join(dir, 'sha256'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

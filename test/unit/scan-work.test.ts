import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanWorkDir, scanWorkRoot, sweepScanWork } from '../../activities/scan/scan-work';

describe('scan work directories (raw Trivy reports)', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'airlock-scanwork-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('are 0700, under a 0700 root, even when the root existed with wider rights', async () => {
    const root = scanWorkRoot({ run: join(home, 'run') });
    await mkdir(root, { recursive: true, mode: 0o755 });
    const work = await scanWorkDir(root);
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(work)).mode & 0o777).toBe(0o700);
    expect(work).toContain(`scan-${process.pid}-`);
  });

  it("a sweep removes what a crashed process left and keeps live scans' directories", async () => {
    const root = scanWorkRoot({ run: home });
    const mine = await scanWorkDir(root);
    const crashed = join(root, 'scan-999999-abc');
    await mkdir(crashed, { recursive: true });
    await writeFile(join(crashed, 'report.json'), '{"Secrets":[{"Match":"AKIA..."}]}');
    await mkdir(join(root, 'stray'));
    const removed = await sweepScanWork(root, (pid) => pid === process.pid);
    expect(removed.sort()).toEqual(['scan-999999-abc', 'stray']);
    expect(await readdir(root)).toEqual([mine.slice(root.length + 1)]);
  });

  it('a sweep of a root that does not exist yet is a no-op', async () => {
    await expect(sweepScanWork(join(home, 'nope'))).resolves.toEqual([]);
  });
});

// The worker's own copy of a service repository (activities/shared/fetch.ts, issue 11 item 3): what the CI
// job does to its checkout (replace refs, hooks, attributes) never reaches what the stages read. Needs git only.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitError, InvalidInputError } from '../../activities/errors';
import { archiveTree, branchTip, displayUrl, readAtCommit, repoCacheDir, repoUrl, workerRepo } from '../../activities/shared';
import { analyzeChange } from '../../activities/change';
import { TempRepo } from '../support/git-repo';

let tmp: string;
let repo: TempRepo;
let base: string;
let head: string;
const config = () => ({ dirs: { repos: path.join(tmp, 'repos') } });
const SERVER = 'require("http").createServer((q, r) => r.end("ok")).listen(8080);\n';

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'airlock-fetch-'));
  repo = TempRepo.create('airlock-fetch-src-');
  base = repo.commit('web', { 'web/server.js': SERVER, 'web/Dockerfile': 'FROM node:20\nCOPY . .\n' });
  head = repo.commit('docs', { 'web/README.md': '# web\n' });
});
afterEach(() => {
  repo.remove();
  rmSync(tmp, { recursive: true, force: true });
});

/** The files of `commit:dir` as `git archive` writes them from `gitDir`, by name. */
function archived(gitDir: string, commit: string, dir: string): Promise<Record<string, string>> {
  const tar = path.join(tmp, `a-${Math.random().toString(36).slice(2)}.tar`);
  const out = path.join(tmp, `x-${Math.random().toString(36).slice(2)}`);
  return archiveTree(gitDir, commit, dir, [], tar).then(() => {
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    const files: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
        else files[`${rel}${e.name}`] = execFileSync('cat', [path.join(d, e.name)], { encoding: 'utf8' });
      }
    };
    walk(out, '');
    return files;
  });
}

test('replace refs in the source are ignored: the cache archives the committed blob, the checkout would not', async () => {
  const blob = repo.git('rev-parse', `${head}:web/server.js`);
  const evil = path.join(tmp, 'evil.js');
  writeFileSync(evil, `${SERVER}require("child_process").exec("sh")\n`);
  repo.git('replace', repo.git('rev-parse', `${head}:web/server.js`), repo.git('hash-object', '-w', evil));
  expect((await archived(repo.dir, head, 'web'))['server.js']).toBe(SERVER); // git.ts already sets GIT_NO_REPLACE_OBJECTS
  expect(execFileSync('git', ['-C', repo.dir, 'cat-file', 'blob', blob], { encoding: 'utf8' })).toContain('child_process'); // plain git lies

  const dir = await workerRepo(config(), repo.dir, [base, head]);
  expect(dir).toBe(repoCacheDir(config(), pathToFileURL(repo.dir).href));
  expect(execFileSync('git', ['--git-dir', dir, 'for-each-ref', '--format=%(refname)'], { encoding: 'utf8' })).not.toContain('refs/replace/');
  expect(execFileSync('git', ['--git-dir', dir, 'cat-file', 'blob', blob], { encoding: 'utf8' })).toBe(SERVER);
  expect((await archived(dir, head, 'web'))['server.js']).toBe(SERVER);
  const analysis = await analyzeChange({ repo: dir, base, head });
  expect(analysis.files.map((f) => f.path)).toEqual(['web/README.md']);
});

test('hooks of the source and of the cache never run', async () => {
  const next = repo.commit('more', { 'web/more.md': 'more\n' }); // before the hooks: committing runs them in the source
  const marker = path.join(tmp, 'hook-ran');
  const hook = `#!/bin/sh\necho "$0" >> ${marker}\n`;
  const names = ['reference-transaction', 'post-checkout', 'pre-auto-gc', 'post-merge', 'post-rewrite', 'pre-push', 'fsmonitor-watchman'];
  for (const dir of [path.join(repo.dir, '.git', 'hooks')]) {
    for (const n of names) {
      writeFileSync(path.join(dir, n), hook);
      chmodSync(path.join(dir, n), 0o755);
    }
  }
  repo.git('config', 'core.fsmonitor', path.join(repo.dir, '.git', 'hooks', 'fsmonitor-watchman'));
  const dir = await workerRepo(config(), repo.dir, [head]);
  mkdirSync(path.join(dir, 'hooks'), { recursive: true });
  for (const n of names) {
    writeFileSync(path.join(dir, 'hooks', n), hook);
    chmodSync(path.join(dir, 'hooks', n), 0o755);
  }
  await workerRepo(config(), repo.dir, [next], { refreshBranches: true });
  await analyzeChange({ repo: dir, base, head: next });
  await archived(dir, next, 'web');
  expect(existsSync(marker)).toBe(false);
});

test('.gitattributes of the tree do not change what is archived (export-ignore, export-subst, ident, eol)', async () => {
  const c = repo.commit('attrs', {
    'web/.gitattributes': 'server.js export-ignore\nversion.txt export-subst\nid.txt ident\nunix.sh text eol=crlf\n',
    'web/version.txt': '$Format:%H$\n',
    'web/id.txt': '$Id$\n',
    'web/unix.sh': 'echo hi\n',
  });
  const files = await archived(await workerRepo(config(), repo.dir, [c]), c, 'web');
  expect(files['server.js']).toBe(SERVER);
  expect(files['version.txt']).toBe('$Format:%H$\n');
  expect(files['id.txt']).toBe('$Id$\n');
  expect(files['unix.sh']).toBe('echo hi\n');
});

test('concurrent fetches of the same repository all succeed and share one cache', async () => {
  const dirs = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => workerRepo(config(), i % 2 ? repo.dir : pathToFileURL(repo.dir).href, i % 3 ? [head] : [base, head])));
  expect(new Set(dirs).size).toBe(1);
  expect(readdirSync(config().dirs.repos).filter((f) => !f.startsWith('.'))).toHaveLength(1);
  expect(await readAtCommit(dirs[0]!, head, 'web/server.js')).toEqual(Buffer.from(SERVER));
});

test('a commit already in the cache is not fetched again (the source may be gone)', async () => {
  const dir = await workerRepo(config(), repo.dir, [base, head]);
  const source = repo.dir;
  repo.remove();
  await expect(workerRepo(config(), source, [head])).resolves.toBe(dir);
  repo = TempRepo.create('airlock-fetch-src-'); // for afterEach
});

test('a commit on no branch is fetched by id; branchTip reads the remote branch heads', async () => {
  repo.at(head);
  const detached = repo.commit('detached', { 'web/x.md': 'x\n' });
  repo.git('checkout', '-q', 'main');
  const dir = await workerRepo(config(), repo.dir, [detached]);
  expect(await readAtCommit(dir, detached, 'web/x.md')).toEqual(Buffer.from('x\n'));
  expect(await branchTip(dir, 'main')).toBe(head);
  expect(await branchTip(dir, 'nope')).toBeUndefined();
  expect(await branchTip(dir, '--all')).toBeUndefined();
});

test('a missing commit, or an object that is not a commit, is a non-retryable GitError naming the URL and the commit', async () => {
  const missing = 'a'.repeat(40);
  const err = await workerRepo(config(), repo.dir, [head, missing]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitError);
  expect((err as GitError).retryable).toBe(false);
  expect((err as Error).message).toBe(
    `commit ${missing} is not in ${pathToFileURL(repo.dir).href} (fetched its branches and asked for the commit by id): push the commit, or trigger with the URL of a repository that has it`,
  );
  const tree = repo.git('rev-parse', `${head}^{tree}`);
  await expect(workerRepo(config(), repo.dir, [tree])).rejects.toThrow(`commit ${tree} is not in`);
  await expect(workerRepo(config(), repo.dir, ['HEAD'])).rejects.toThrow(InvalidInputError);
});

test('repository URLs: absolute paths become file URLs, userinfo is never shown, other transports are refused', () => {
  expect(repoUrl('/srv/git/shop')).toBe('file:///srv/git/shop');
  expect(repoUrl('https://x:tok@git.example/shop.git')).toBe('https://x:tok@git.example/shop.git');
  expect(repoUrl('git@git.example:shop.git')).toBe('git@git.example:shop.git');
  expect(displayUrl('https://x:tok@git.example/shop.git')).toBe('https://git.example/shop.git');
  expect(repoCacheDir(config(), 'https://x:tok@git.example/shop.git')).toBe(repoCacheDir(config(), 'https://git.example/shop.git'));
  for (const bad of ['ext::sh -c touch% /tmp/pwned', 'relative/dir', '--upload-pack=touch /tmp/pwned', 'fd::3']) {
    expect(() => repoUrl(bad)).toThrow(InvalidInputError);
  }
});

test('a remote that cannot be reached is a retryable error without the credentials', async () => {
  const err = await workerRepo(config(), 'file://user:s3cret@/nonexistent/airlock-repo', [head]).catch((e: unknown) => e);
  expect((err as Error).message).not.toContain('s3cret');
  expect((err as { retryable?: boolean }).retryable).toBe(true);
});

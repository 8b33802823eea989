import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { GitError } from '../errors';

/**
 * The one git runner of the activities (and the CLI): git with an argument array (never a shell) in
 * `repo`, with no prompts, the C locale and no repository chosen by the caller's environment. Config that
 * would change the output we parse (pagers, colours, external diff drivers, quoted paths) is pinned with `-c`.
 * Replace refs are never honoured (GIT_NO_REPLACE_OBJECTS): every git run reads the objects the commit
 * ids name, so the diff that was judged and the tree that is archived are the same bytes. No hooks, no
 * fsmonitor: git never runs a program the repository chose.
 */
const PINNED = ['-c', 'core.quotePath=false', '-c', 'color.ui=never', '-c', 'core.pager=cat', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '--no-pager'];
const MAX_BUFFER = 512 * 1024 * 1024;

const gitArgs = (repo: string, args: string[], configArgs: string[] = []): string[] => ['-C', repo, ...PINNED, ...configArgs, ...args];

export interface GitResult<Out = string> {
  stdout: Out;
  stderr: string;
  code: number;
}

function run(repo: string, args: string[], configArgs: string[]): Promise<GitResult<Buffer>> {
  return new Promise((resolve, reject) => {
    execFile('git', gitArgs(repo, args, configArgs), { maxBuffer: MAX_BUFFER, encoding: 'buffer', env: gitEnv() }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        const why = err.code === 'ENOENT' ? 'git is not installed or not on PATH (install git)' : err.message;
        reject(new GitError(`cannot run git in ${repo}: ${why}`, { repo }));
        return;
      }
      resolve({ stdout, stderr: stderr.toString('utf8'), code: err ? Number(err.code) : 0 });
    });
  });
}

/** Runs git and returns its output whatever the exit code (for commands whose exit code is an answer). */
export async function gitRaw(repo: string, args: string[], configArgs: string[] = []): Promise<GitResult> {
  const result = await run(repo, args, configArgs);
  return { ...result, stdout: result.stdout.toString('utf8') };
}

/** Runs git and returns stdout as bytes (file contents); a non-zero exit is a GitError carrying git's own message. */
export async function gitBytes(repo: string, args: string[], configArgs: string[] = []): Promise<Buffer> {
  const result = await run(repo, args, configArgs);
  if (result.code !== 0) throw failed(repo, args, result.code, result.stderr);
  return result.stdout;
}

/** Runs git and returns stdout as text; a non-zero exit is a GitError carrying git's own message. */
export async function git(repo: string, args: string[], configArgs: string[] = []): Promise<string> {
  return (await gitBytes(repo, args, configArgs)).toString('utf8');
}

/** Runs git with stdout streamed into `file` (e.g. `git archive`); resolves when git exits successfully. */
export async function gitToFile(repo: string, args: string[], file: string): Promise<void> {
  const child = spawn('git', gitArgs(repo, args), { stdio: ['ignore', 'pipe', 'pipe'], env: gitEnv() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new GitError(`cannot run git ${args[0]} in ${repo}: ${err.message}`, { repo })));
    child.on('close', resolve);
  });
  await pipeline(child.stdout, createWriteStream(file));
  const code = await exit;
  if (code !== 0) throw failed(repo, args, code, stderr || `exit ${code}`);
}

const failed = (repo: string, args: string[], exitCode: number | null, stderr: string): GitError =>
  new GitError(`git ${args[0]} failed in ${repo}: ${firstLines(stderr)}`, { repo, args, exitCode });

/**
 * `git cat-file --batch` for many object ids in one process. Returns the contents by id; ids git does not
 * have are absent from the map.
 */
export function readObjects(repo: string, ids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return Promise.resolve(new Map());
  return new Promise((resolve, reject) => {
    const child = spawn('git', gitArgs(repo, ['cat-file', '--batch']), { env: gitEnv() });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`cannot run git cat-file in ${repo}: ${err.message}`, { repo })));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(failed(repo, ['cat-file', '--batch'], code, stderr));
        return;
      }
      try {
        resolve(parseBatch(Buffer.concat(chunks)));
      } catch (err) {
        reject(new GitError(`cannot read git cat-file output in ${repo}: ${(err as Error).message}`, { repo }));
      }
    });
    child.stdin.on('error', () => undefined); // git exiting early is reported by 'close'
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/** Parses `git cat-file --batch` output: `<id> <type> <size>\n<content>\n` or `<id> missing\n` per object. */
export function parseBatch(out: Buffer): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    if (eol < 0) throw new Error('truncated header');
    const header = out.toString('utf8', pos, eol).split(' ');
    pos = eol + 1;
    if (header[1] === 'missing' || header[1] === 'ambiguous') continue;
    const size = Number(header[2]);
    if (!header[0] || !Number.isInteger(size)) throw new Error(`bad header: ${header.join(' ')}`);
    objects.set(header[0], out.subarray(pos, pos + size));
    pos += size + 1;
  }
  return objects;
}

function gitEnv(): NodeJS.ProcessEnv {
  // No prompts, no locale-dependent messages, no repository selected from the caller's environment.
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANG: 'C', GIT_NO_REPLACE_OBJECTS: '1' };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_EXTERNAL_DIFF', 'GIT_REPLACE_REF_BASE'])
    delete env[key];
  return env;
}

function firstLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(0, 3).join(' / ') || 'no message';
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real git repository in a temp dir for change-analysis tests. Fails with how to get git when it is
 * missing (tests never skip).
 */
export class TempRepo {
  private constructor(readonly dir: string) {}

  static create(prefix = 'airlock-change-'): TempRepo {
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('git is required for the change-analysis tests: install it (apt-get install git)');
    }
    const repo = new TempRepo(mkdtempSync(path.join(os.tmpdir(), prefix)));
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.email', 'dev@shop.example');
    repo.git('config', 'user.name', 'Dev');
    repo.git('config', 'commit.gpgsign', 'false');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  /** Writes files (string or bytes); `null` deletes. */
  write(files: Record<string, string | Buffer | null>): void {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.dir, file);
      if (content === null) {
        unlinkSync(full);
        continue;
      }
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }

  /** Stages everything and commits; returns the commit id. */
  commit(message: string, files: Record<string, string | Buffer | null> = {}, author = 'dev@shop.example'): string {
    this.write(files);
    this.git('add', '-A');
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.dir,
      env: { ...process.env, GIT_AUTHOR_EMAIL: author, GIT_COMMITTER_EMAIL: author },
      stdio: 'ignore',
    });
    return this.git('rev-parse', 'HEAD');
  }

  /** Detaches at `rev` so the next commits form a new change on top of it. */
  at(rev: string): this {
    this.git('checkout', '-q', '--detach', rev);
    return this;
  }

  /** Reads a file of the working tree. */
  read(file: string): string {
    return readFileSync(path.join(this.dir, file), 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

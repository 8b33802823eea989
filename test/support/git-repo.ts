import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Who commits, and optionally a fixed date (stable commit ids). */
export interface Committer {
  email: string;
  name: string;
  date?: string;
}

const DEV: Committer = { email: 'dev@shop.example', name: 'Dev' };

/**
 * A real git repository in a temp dir, for tests and benches. Fails with how to get git when it is
 * missing (tests never skip).
 */
export class TempRepo {
  private constructor(
    readonly dir: string,
    private readonly committer: Committer,
  ) {}

  static create(prefix = 'airlock-change-', committer: Committer = DEV): TempRepo {
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('git is required for these tests: install it (apt-get install git)');
    }
    const repo = new TempRepo(mkdtempSync(path.join(os.tmpdir(), prefix)), committer);
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.email', committer.email);
    repo.git('config', 'user.name', committer.name);
    repo.git('config', 'commit.gpgsign', 'false');
    return repo;
  }

  /** A repository `create` made, by its directory (e.g. a FixtureRepo's). */
  static open(dir: string, committer: Committer = DEV): TempRepo {
    return new TempRepo(dir, committer);
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: this.env() }).trim();
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
  commit(message: string, files: Record<string, string | Buffer | null> = {}, author = this.committer.email): string {
    this.write(files);
    this.git('add', '-A');
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.dir,
      env: { ...this.env(), GIT_AUTHOR_EMAIL: author, GIT_COMMITTER_EMAIL: author },
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

  private env(): NodeJS.ProcessEnv {
    const { date } = this.committer;
    return date ? { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : process.env;
  }
}

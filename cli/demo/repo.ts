import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../infra/local/tools';
import { vendorDemoDependencies } from './vendor';

/** The people of the demo: one developer who writes the changes, two approvers. */
export const DEMO_PEOPLE = {
  author: { name: 'Dana Developer', email: 'dana@example.com' },
  approver: 'alice',
  security: 'sam',
} as const;

export interface DemoRepoOptions {
  /** More members of `developers` (the end-to-end tests add the author, to show self-approval is refused). */
  developers?: { id: string; publicKey: string }[];
  /** Edits before the first commit (the end-to-end tests add their own environment and router port). */
  prepare?: (repo: DemoRepo) => void;
  /**
   * Vendor the service's npm dependencies (OpenFeature, flagd provider) into vendor/node_modules before the
   * first commit: true from airlock's node_modules, or from the given node_modules directory. Without it
   * the service runs with every flag off (examples/demo-service/flags.js).
   */
  vendor?: boolean | string;
}

/** A git repository made from examples/demo-service, with the demo's policy and its own history. */
export class DemoRepo {
  constructor(readonly dir: string) {}

  static create(dir: string, keys: { alice: string; sam: string }, opts: DemoRepoOptions = {}): DemoRepo {
    mkdirSync(dir, { recursive: true });
    cpSync(join(projectRoot(), 'examples', 'demo-service'), dir, { recursive: true });
    writeFileSync(join(dir, 'airlock.policy.yaml'), demoPolicy(keys, opts.developers ?? []));
    const repo = new DemoRepo(dir);
    if (opts.vendor) vendorDemoDependencies(dir, typeof opts.vendor === 'string' ? opts.vendor : undefined);
    opts.prepare?.(repo);
    repo.git(['init', '-q', '-b', 'main']);
    repo.commit('demo-service: first release');
    return repo;
  }

  git(args: string[]): string {
    const a = DEMO_PEOPLE.author;
    return execFileSync('git', ['-C', this.dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_COMMITTER_NAME: a.name, GIT_COMMITTER_EMAIL: a.email },
    }).trim();
  }

  /** Commits everything in the work tree; returns the commit id. */
  commit(message: string): string {
    this.git(['add', '-A']);
    this.git(['commit', '-q', '-m', message]);
    return this.head();
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  /** Moves the branch back to `commit` (the last good release), keeping history simple for the next change. */
  resetTo(commit: string): void {
    this.git(['reset', '-q', '--hard', commit]);
  }

  edit(file: string, change: (text: string) => string): void {
    const path = join(this.dir, file);
    writeFileSync(path, change(readFileSync(path, 'utf8')));
  }
}

function demoPolicy(keys: { alice: string; sam: string }, developers: { id: string; publicKey: string }[]): string {
  const more = developers.map((d) => `\n      - { id: ${JSON.stringify(d.id)}, publicKey: ${d.publicKey} }`).join('');
  return `# The demo's policy (format: docs/policy.md). Read at the BASE commit of every change.
version: 1
# checked on the running candidate before it gets traffic (docs/runtime-security.md)
security_requirements:
  authentication: mandatory
  encryption_in_transit: required
  input_validation: strict
  error_handling: secure
  logging: comprehensive
gates:
  vulnerabilities: { maxSeverity: high, failOnFixable: [critical, high] }
  secrets: { allowed: false }
  dockerfile: { requireNonRoot: true }
  baseImages: { allow: ["airlock/base:*"] }
approverGroups:
  developers:
    members:
      - { id: ${DEMO_PEOPLE.approver}, publicKey: ${keys.alice} }${more}
  security:
    members:
      - { id: ${DEMO_PEOPLE.security}, publicKey: ${keys.sam} }
approvals:
  timeout: 10m
  low: { required: 0 }
  medium: { required: 1 }
  high: { required: 2, require: [security] }
`;
}

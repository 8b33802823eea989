// Bad input to the pipeline commands: a one-line error on stderr naming what is wrong, and exit 2
// (CI scripts tell "you called me wrong" from "the change failed"). Needs Temporal for the unknown ids.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoRepo } from '../../cli/demo/repo';
import { airlock, type CliResult } from '../support/cli';
import { approverKey } from '../support/e2e-world';
import { requireComponents } from '../support/stack';

let dir: string;
let repo: DemoRepo;

beforeAll(async () => {
  await requireComponents('temporal');
  dir = mkdtempSync(join(tmpdir(), 'airlock-e2e-input-'));
  // without `promotion:`, so that a trigger without --env has no first environment to start from
  const noPromotion = (r: DemoRepo) => r.edit('airlock.yaml', (t) => t.replace(/^promotion:.*\n/m, ''));
  repo = DemoRepo.create(join(dir, 'demo-service'), { alice: approverKey('alice'), sam: approverKey('sam') }, { prepare: noPromotion });
  repo.edit('README.md', (t) => `${t}\nmore\n`);
  repo.commit('docs: more');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectBadInput(r: CliResult, message: RegExp): void {
  expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toMatchObject({ code: 2, stdout: '' });
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
}

test('an unknown flag', () => {
  expectBadInput(airlock(['trigger', '--repo', repo.dir, '--env', 'production', '--wiat']), /^airlock trigger: Unknown option '--wiat'/);
  expectBadInput(airlock(['status', 'some-id', '--verbose']), /^airlock status: Unknown option '--verbose'/);
});

test('a missing --env', () => {
  expect(readFileSync(join(repo.dir, 'airlock.yaml'), 'utf8')).not.toMatch(/^promotion:/m);
  expectBadInput(airlock(['trigger', '--repo', repo.dir, '--wait']), /^--env: is required \(airlock\.yaml has no promotion: to start from; it has: staging, production\)$/);
});

test('an environment the manifest does not have', () => {
  expectBadInput(airlock(['trigger', '--repo', repo.dir, '--env', 'moon']), /^--env: moon is not an environment of airlock\.yaml \(it has: staging, production\)/);
});

test('a --repo that is not a git repository, or does not exist', () => {
  const plain = mkdtempSync(join(tmpdir(), 'airlock-e2e-not-git-'));
  try {
    expectBadInput(airlock(['trigger', '--repo', plain, '--env', 'production']), /is not inside a git repository/);
  } finally {
    rmSync(plain, { recursive: true, force: true });
  }
  expectBadInput(airlock(['trigger', '--repo', join(dir, 'nowhere'), '--env', 'production']), /is not inside a git repository/);
});

test('a --service-dir or --commit that is not in the repository', () => {
  expectBadInput(airlock(['trigger', '--repo', repo.dir, '--service-dir', 'services/nope', '--env', 'production']), /^--service-dir: services\/nope is not a directory of /);
  expectBadInput(airlock(['trigger', '--repo', repo.dir, '--commit', 'no-such-rev', '--env', 'production']), /no-such-rev is not a commit in /);
});

test('an unknown pipeline id', () => {
  const id = 'airlock/demo/production/0000000000000000000000000000000000000000';
  for (const args of [['status', id], ['history', id, '--json'], ['approve', id, '--as', 'alice'], ['abort', id, '--as', 'alice', '--reason', 'test']])
    expectBadInput(airlock(args), /^unknown pipeline id: airlock\/demo\/production\/0{40} \(airlock list shows them\)$/);
});

test('an unknown stage for list', () => {
  expectBadInput(airlock(['list', '--stage', 'waiting-for-godot']), /^airlock list: --stage: expected one of .*awaiting-approval$/);
});

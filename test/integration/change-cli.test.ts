import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { riskCommand } from '../../cli/commands/risk';
import { EXIT, exitErrorOf, ExitError } from '../../cli/errors';
import { InvalidInputError } from '../../model/parse';
import { riskAssessmentSchema } from '../../model/risk';
import { TempRepo } from '../support/git-repo';
import { SERVICE_FILES } from './change-service';

// `airlock risk` against a real repository: --json, the readable table, --policy (only its risk: block),
// and the exit codes of bad input (what the command throws, as cli/main.ts maps it: exitErrorOf).

let repo: TempRepo;
let base: string;
let head: string;
const policies = mkdtempSync(path.join(os.tmpdir(), 'airlock-risk-policies-'));

beforeAll(() => {
  repo = TempRepo.create();
  base = repo.commit('base', SERVICE_FILES);
  head = repo.commit('format totals with a currency sign', {
    'src/services/format.ts': "export function formatCents(cents: number): string {\n  return `€${(cents / 100).toFixed(2)}`;\n}\n",
  });
});
afterAll(() => {
  repo.remove();
  rmSync(policies, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ stdout: string; error?: Error }> {
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    await riskCommand.run(argv);
    return { stdout };
  } catch (error) {
    return { stdout, error: error as Error };
  } finally {
    spy.mockRestore();
  }
}

function policyFile(name: string, text: string): string {
  const file = path.join(policies, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

test('--json prints the assessment', async () => {
  const { stdout, error } = await run(['--repo', repo.dir, '--base', base, '--head', head, '--json']);
  expect(error).toBeUndefined();
  const assessment = riskAssessmentSchema.parse(JSON.parse(stdout));
  expect(assessment).toMatchObject({ level: 'medium', score: 25, stats: { files: 1, additions: 1, deletions: 1 } });
  expect(assessment.signals).toEqual([
    expect.objectContaining({ kind: 'code', weight: 25, files: ['src/services/format.ts'], reason: expect.stringContaining('function formatCents changed') }),
  ]);
});

test('without --json a readable table', async () => {
  const { stdout } = await run(['--repo', repo.dir, '--base', base, '--head', head]);
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(`risk MEDIUM (score 25/100) for ${base}..${head}: 1 files, +1 -1`);
  expect(lines[2]).toMatch(/^SIGNAL\s+WEIGHT\s+FILES\s+REASON$/);
  expect(lines[4]).toMatch(/^code\s+25\s+1\s+application code: src\/services\/format\.ts \(function formatCents changed\)$/);
});

test('--policy applies the risk: block and ignores the policy gate keys', async () => {
  const file = policyFile(
    'policy',
    `version: 1
gates:
  vulnerabilities:
    maxSeverity: medium
approvals:
  high: { required: 2 }
risk:
  paths:
    payments: ['src/services/format.ts']
  thresholds:
    high: 55
`,
  );
  const { stdout, error } = await run(['--repo', repo.dir, '--base', base, '--head', head, '--policy', file, '--json']);
  expect(error).toBeUndefined();
  const assessment = JSON.parse(stdout);
  expect(assessment.level).toBe('high');
  expect(assessment.signals[0]).toMatchObject({ kind: 'payments', files: ['src/services/format.ts'] });
});

test('a policy without a risk: block means the built-in policy', async () => {
  const file = policyFile('norisk', 'version: 1\n');
  const { stdout } = await run(['--repo', repo.dir, '--base', base, '--head', head, '--policy', file, '--json']);
  expect(JSON.parse(stdout).level).toBe('medium');
});

test('an invalid risk: block names every bad field', async () => {
  const file = policyFile('bad', 'risk:\n  weights:\n    auht: 5\n  thresholds:\n    medium: 0\n');
  const { error } = await run(['--repo', repo.dir, '--base', base, '--head', head, '--policy', file]);
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).lines).toEqual(
    expect.arrayContaining(['weights: Unrecognized key: "auht"', expect.stringMatching(/^thresholds\.medium: /)]),
  );
});

test.each([
  [['--repo', '.', '--head', 'HEAD'], /airlock risk: --base: is required/],
  [['--base', 'HEAD~1', '--colour'], /airlock risk: Unknown option '--colour'/],
  [['--base', 'nope-nope'], /airlock risk: base: unknown revision 'nope-nope'/],
  [['--base', 'HEAD~1', '--policy', '/nonexistent/airlock.policy.yaml'], /airlock risk: cannot read --policy \/nonexistent\/airlock.policy.yaml: ENOENT/],
])('bad input %j exits 2 with a one-line message', async (argv, message) => {
  const { error } = await run([...argv, ...(argv.includes('--repo') ? [] : ['--repo', repo.dir])]);
  const exit = exitErrorOf('risk', error);
  expect(exit).toBeInstanceOf(ExitError);
  expect((exit as ExitError).code).toBe(EXIT.badInput);
  expect(exit!.message).toMatch(message);
  expect(exit!.message).not.toContain('\n');
});

test('a policy file that is not YAML exits 2', async () => {
  const file = policyFile('broken', 'risk: [unclosed\n');
  const { error } = await run(['--repo', repo.dir, '--base', base, '--policy', file]);
  expect(exitErrorOf('risk', error)).toMatchObject({ code: EXIT.badInput, message: expect.stringContaining('is not valid YAML') });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { addDemoFlagPolicy, describeFlagOutcome, FLAG_SCENARIO } from '../../cli/demo/flag-scenario';
import { DemoRepo } from '../../cli/demo/repo';
import { parsePolicy } from '../../activities/policy/load-policy';
import { flagRisk } from '../../activities/flags/source';
import { riskPolicySchema } from '../../model/change';
import { flagThresholdsOf } from '../../model/flag-policy';
import { DEFAULT_FLAG_THRESHOLDS, flagStepProblems, parseFlagdFile, rolloutProblems, variantAt } from '../../model/flags';

// The demo's flag scenario (issue 18): the repository it rolls out in carries the flag packages and a policy
// whose flags: block parses; the flag is low risk (no approval waits in the demo), its steps are valid, and the
// share of the demo's synthetic users it judges at each step is as the scenario's comment says.

test("the demo repository vendors the flag packages and its policy's flags: block parses", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-demo-flag-'));
  try {
    const repo = DemoRepo.create(join(dir, 'svc'), { alice: 'a'.repeat(64), sam: 'b'.repeat(64) }, { vendor: true, prepare: addDemoFlagPolicy });
    const tracked = execFileSync('git', ['-C', repo.dir, 'ls-files'], { encoding: 'utf8' });
    expect(tracked).toMatch(/^vendor\/node_modules\/@openfeature\/flagd-provider\/package\.json$/m);
    expect(tracked).toMatch(/^vendor\/node_modules\/@openfeature\/server-sdk\/package\.json$/m);
    const policy = parsePolicy(readFileSync(join(repo.dir, 'airlock.policy.yaml')), 'airlock.policy.yaml').policy;
    expect(flagThresholdsOf(policy.flags)).toEqual({ ...DEFAULT_FLAG_THRESHOLDS, minRequests: 40 });
    const file = parseFlagdFile(readFileSync(join(repo.dir, 'flags.flagd.json'), 'utf8'), 'flags.flagd.json');
    expect(rolloutProblems(file, FLAG_SCENARIO.flag)).toEqual([]);
    expect(file.flags[FLAG_SCENARIO.flag]!.defaultVariant).toBe('off'); // shipped dark
    expect(await flagRisk(repo.dir, repo.head(), '', FLAG_SCENARIO.flag, 'flags.flagd.json', riskPolicySchema.parse(policy.risk))).toEqual({ level: 'low', reasons: ['server.js (code)'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('the scenario: valid steps; a window has too few on users to judge at 1% and 5%, enough at 25%', () => {
  expect(flagStepProblems(FLAG_SCENARIO.steps)).toEqual([]);
  const perWindow = (FLAG_SCENARIO.windowMs / 1000) * FLAG_SCENARIO.loadRps;
  const floor = Math.ceil(40 / 4); // judgeVariants judges (and may fail) a window from a quarter of minRequests
  const expected = (share: number) => (perWindow * share) / 100;
  expect(expected(5)).toBeLessThan(floor / 3);
  expect(expected(25)).toBeGreaterThan(floor);
  // airlock's own users are bucketed as flagd buckets them: about the share lands on `on`
  const users = Array.from({ length: 4000 }, (_, i) => `u-${i}`);
  expect(users.filter((u) => variantAt(FLAG_SCENARIO.flag, u, 25) === 'on').length / users.length).toBeCloseTo(0.25, 1);
  expect(describeFlagOutcome({ kind: 'killed', step: 3, share: 25, by: 'airlock', reason: 'x' })).toBe(FLAG_SCENARIO.expect);
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { flagRisk } from '../../activities/flags/source';
import { countsBetween, flagRequestsQuery, observedCounts } from '../../activities/flags/analyze';
import { kill, readServed, setShare } from '../../activities/flags/store';
import { FlagKilledError } from '../../activities/errors';
import {
  combineVerdicts,
  murmur3,
  variantAt,
  DEFAULT_FLAG_THRESHOLDS,
  flagAtShare,
  flagStepProblems,
  judgeVariants,
  parseFlagdFile,
  rolloutProblems,
  shareOf,
  type FlagDefinition,
} from '../../model/flags';
import { InvalidInputError } from '../../model/parse';
import { flagThresholdsOf } from '../../model/flag-policy';
import { riskPolicySchema } from '../../model/change';
import { parsePolicy } from '../../activities/policy/load-policy';

// Flag definitions (flagd format, zod), the pure rollout decisions, and the store the instances read.

const demoFile = readFileSync(join(__dirname, '..', '..', 'examples', 'demo-service', 'flags.flagd.json'), 'utf8');
const def: FlagDefinition = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', metadata: { path: '/checkout' } };

function lines(text: string): string[] {
  try {
    parseFlagdFile(text, 'flags.flagd.json');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).lines;
  }
  throw new Error('parsed');
}

describe('flag definitions', () => {
  test("the demo's file parses and both flags can be rolled out", () => {
    const file = parseFlagdFile(demoFile, 'flags.flagd.json');
    expect(Object.keys(file.flags)).toEqual(['new-greeting', 'new-checkout']);
    expect(rolloutProblems(file, 'new-checkout')).toEqual([]);
    expect(rolloutProblems(file, 'nope')).toEqual(['flags.nope: no such flag (flags: new-greeting, new-checkout)']);
  });

  test('bad definitions are refused with path: message lines', () => {
    expect(lines('{"flags": ')).toEqual([expect.stringMatching(/^\(root\): not JSON/)]);
    expect(lines('{"flags": {"x": {"state": "ON", "variants": {"on": true}, "defaultVariant": "off"}}}')).toEqual([
      expect.stringMatching(/^flags\.x\.state: /),
    ]);
    expect(lines('{"flags": {"x": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "maybe"}}}')).toEqual([
      'flags.x.defaultVariant: "maybe" is not one of the variants (on, off)',
    ]);
    expect(lines('{"flags": {"x": {"state": "ENABLED", "variants": {"on": true, "off": "no"}, "defaultVariant": "off"}}}')).toEqual([
      'flags.x.variants: all variants must have the same type (found boolean, string)',
    ]);
    expect(lines('{"flags": {"x": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "targeting": {"fractional": [["on", 50], ["of", 50]]}}}}')).toEqual([
      'flags.x.targeting: fractional names "of", not one of the variants',
    ]);
    expect(lines('{"flags": {"Bad Key": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}')).toEqual([
      expect.stringMatching(/^flags\.Bad Key: flag keys are lowercase/),
    ]);
    expect(lines('{"flags": {}, "extra": 1}')).toEqual([expect.stringMatching(/^\(root\): Unrecognized key/)]);
    const noOff = parseFlagdFile('{"flags": {"x": {"state": "ENABLED", "variants": {"on": true, "dark": false}, "defaultVariant": "dark"}}}', 'f');
    expect(rolloutProblems(noOff, 'x')).toEqual(['flags.x.variants: must have the variants "on" and "off" (missing: off)']);
  });
});

describe('rollout decisions', () => {
  test('a share is flagd targeting with on first (sticky buckets), 0 and 100 without targeting', () => {
    expect(flagAtShare(def, 25)).toEqual({ ...def, targeting: { fractional: [['on', 25], ['off', 75]] } });
    expect(flagAtShare({ ...def, targeting: { if: [true, 'on', 'off'] } }, 100)).toEqual({ ...def, defaultVariant: 'on' });
    expect(flagAtShare({ ...def, state: 'DISABLED' }, 0)).toEqual(def);
    for (const s of [0, 1, 5, 25, 50, 100]) expect(shareOf(flagAtShare(def, s))).toBe(s);
    expect(shareOf({ ...def, targeting: { if: [true, 'on', 'off'] } })).toBeNull();
  });

  test('steps: ascending whole percents ending at 100, no jump (a forged [100] is refused)', () => {
    expect(flagStepProblems([1, 5, 25, 50, 100])).toEqual([]);
    expect(flagStepProblems([25, 50, 100])).toEqual([]);
    expect(flagStepProblems([100])).toEqual(['steps.0: the first step is at most 25% (a flag is activated gradually)']);
    expect(flagStepProblems([1, 50, 100])).toEqual(['steps.1: 1 -> 50 is too big a jump (at most 5x or +25)']);
    expect(flagStepProblems([5, 5, 100])).toEqual(expect.arrayContaining(['steps.1: must be larger than the step before (5)']));
    expect(flagStepProblems([1, 5, 25])).toEqual(['steps: the last step must be 100']);
    expect(flagStepProblems([0.5, 100])).toEqual(expect.arrayContaining(['steps.0: must be a whole percent 1..100']));
  });

  const t = DEFAULT_FLAG_THRESHOLDS;
  test('on is judged against thresholds and against off over the same window', () => {
    expect(judgeVariants({ requests: 100, errors: 1, denied: 0 }, { requests: 300, errors: 3, denied: 0 }, t).verdict).toBe('pass');
    const bad = judgeVariants({ requests: 100, errors: 20, denied: 0 }, { requests: 300, errors: 0, denied: 0 }, t);
    expect(bad).toMatchObject({ verdict: 'fail', reasons: ['on: 5xx 20.0% > 2.0% (20/100)', 'on: 5xx 20.0% vs off 0.0%: worse by more than 2.0%'] });
    const denied = judgeVariants({ requests: 100, errors: 0, denied: 4 }, { requests: 300, errors: 0, denied: 0 }, t);
    expect(denied).toMatchObject({ verdict: 'fail', reasons: ['on: 401/403 4.0% vs off 0.0%: worse by more than 2.0%'] });
    // the whole service failing is not the flag's fault (relative check passes, absolute still fails)
    const both = judgeVariants({ requests: 100, errors: 1, denied: 10 }, { requests: 100, errors: 1, denied: 10 }, t);
    expect(both.reasons).toEqual(['on: 401/403 10.0% > 5.0% (10/100)']);
  });

  test('a handful of requests judges nothing; too few is inconclusive', () => {
    expect(judgeVariants({ requests: 2, errors: 1, denied: 0 }, { requests: 200, errors: 0, denied: 0 }, t)).toMatchObject({ verdict: 'inconclusive', reasons: ['on: 2 requests < 20'] });
    expect(judgeVariants({ requests: 10, errors: 2, denied: 0 }, { requests: 200, errors: 0, denied: 0 }, t).verdict).toBe('fail');
  });
});

describe("airlock's own view of the variants", () => {
  // flagd-core buckets with imurmurhash (a dependency of jest here too): airlock's murmur3 must agree
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MurmurHash3 = require('imurmurhash') as (key: string) => { result(): number };
  test('murmur3 is the hash flagd buckets with', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'new-checkout', 'new-checkoutuser-1', ...Array.from({ length: 200 }, (_, i) => `flag-${i}${crypto.randomUUID()}`.slice(0, 5 + (i % 40)))];
    for (const k of keys) expect({ k, h: murmur3(k) }).toEqual({ k, h: MurmurHash3(k).result() });
  });

  test('variantAt: on is the first share% of buckets, sticky as the share grows', () => {
    const users = Array.from({ length: 2000 }, (_, i) => `u${i}`);
    const on = (share: number) => new Set(users.filter((u) => variantAt('new-checkout', u, share) === 'on'));
    const [a, b] = [on(5), on(25)];
    for (const u of a) expect(b.has(u)).toBe(true);
    expect(b.size / users.length).toBeGreaterThan(0.2);
    expect(b.size / users.length).toBeLessThan(0.3);
    expect(on(0).size).toBe(0);
    expect(on(100).size).toBe(users.length);
  });

  test("a service under-reporting its on errors is caught by what airlock's users saw", () => {
    const users = Array.from({ length: 400 }, (_, i) => `u${i}`);
    // every on user got a 500, the service's counters say all is fine
    const answers = users.map((user) => ({ user, status: variantAt('f', user, 50) === 'on' ? 500 : 200 }));
    const seen = observedCounts('f', 50, answers);
    expect(seen.on.errors).toBe(seen.on.requests);
    expect(seen.off.errors).toBe(0);
    const reported = judgeVariants({ requests: 200, errors: 0, denied: 0 }, { requests: 200, errors: 0, denied: 0 }, DEFAULT_FLAG_THRESHOLDS);
    const both = combineVerdicts(reported, judgeVariants(seen.on, seen.off, DEFAULT_FLAG_THRESHOLDS));
    expect(both.verdict).toBe('fail');
    expect(both.reasons[0]).toMatch(/^airlock's users: on: 5xx 100\.0%/);
    expect(combineVerdicts(reported, judgeVariants(seen.off, seen.off, DEFAULT_FLAG_THRESHOLDS)).verdict).toBe('pass');
  });
});

describe('per-variant counts from Prometheus', () => {
  test('differenced by variant and code class; a reset counter counts from zero', () => {
    const before = new Map([
      ['on|200', 10],
      ['on|500', 1],
      ['off|200', 100],
      ['off|401', 5],
    ]);
    const after = new Map([
      ['on|200', 50],
      ['on|500', 11],
      ['on|403', 2],
      ['off|200', 20],
      ['off|401', 6],
      ['default|200', 9],
    ]);
    expect(countsBetween(before, after)).toEqual({ on: { requests: 52, errors: 10, denied: 2 }, off: { requests: 21, errors: 0, denied: 1 } });
  });

  test('the query names one flag of one environment, escaped', () => {
    expect(flagRequestsQuery('demo', 'prod', 'new-checkout')).toBe('sum by (variant, code) (flag_requests_total{airlock_service="demo",airlock_env="prod",flag="new-checkout"})');
    expect(flagRequestsQuery('demo', 'prod', 'a"}or vector(1)#')).toContain('flag="a\\"}or vector(1)#"');
  });
});

describe('the flag store', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'airlock-flags-'));

  test('setShare writes the flagd file the instances read; a kill turns it off and stops the rollout', async () => {
    const d = dir();
    await setShare({ dir: d, flag: 'new-checkout', definition: def, share: 5, workflowId: 'wf-1', fresh: true });
    const served = JSON.parse(readFileSync(join(d, 'flags.json'), 'utf8'));
    expect(parseFlagdFile(JSON.stringify(served), 'served').flags['new-checkout']).toEqual(flagAtShare(def, 5));
    await kill({ dir: d, flag: 'new-checkout', by: 'alice', reason: 'pager', workflowId: 'kill-1' });
    const after = await readServed(d);
    expect(shareOf(after.file.flags['new-checkout']!)).toBe(0);
    expect(after.state['new-checkout']).toMatchObject({ share: 0, killed: { by: 'alice', reason: 'pager' } });
    await expect(setShare({ dir: d, flag: 'new-checkout', definition: def, share: 25, workflowId: 'wf-1', fresh: false })).rejects.toBeInstanceOf(FlagKilledError);
    expect(shareOf((await readServed(d)).file.flags['new-checkout']!)).toBe(0);
    // a new rollout starts again deliberately
    await setShare({ dir: d, flag: 'new-checkout', definition: def, share: 1, workflowId: 'wf-2', fresh: true });
    expect((await readServed(d)).state['new-checkout']).toEqual({ share: 1, workflowId: 'wf-2', at: expect.any(String) });
  });

  test('a kill made while a rollout was starting stops its first write; a kill from before it does not', async () => {
    const d = dir();
    await setShare({ dir: d, flag: 'new-checkout', definition: def, share: 100, workflowId: 'wf-0', fresh: true });
    // the rollout began at 12:00:00; a signed kill lands at 12:00:01, before the rollout's first write
    await kill({ dir: d, flag: 'new-checkout', by: 'alice', reason: 'kill during start', workflowId: 'kill-1' }, new Date('2026-12-04T12:00:01Z'));
    await expect(setShare({ dir: d, flag: 'new-checkout', definition: def, share: 5, workflowId: 'wf-1', fresh: true, startedAt: '2026-12-04T12:00:00.000Z' })).rejects.toBeInstanceOf(FlagKilledError);
    expect((await readServed(d)).state['new-checkout']).toMatchObject({ share: 0, killed: { by: 'alice' } });
    // a rollout begun after that kill starts again (a new, deliberate rollout)
    await setShare({ dir: d, flag: 'new-checkout', definition: def, share: 5, workflowId: 'wf-2', fresh: true, startedAt: '2026-12-04T12:00:02.000Z' });
    expect((await readServed(d)).state['new-checkout']).toEqual({ share: 5, workflowId: 'wf-2', at: expect.any(String) });
  });

  test('a kill racing rollout writes always wins (writes are serialised)', async () => {
    const d = dir();
    await setShare({ dir: d, flag: 'f', definition: def, share: 1, workflowId: 'w', fresh: true });
    const writes = [5, 25, 50, 100].map((share) => setShare({ dir: d, flag: 'f', definition: def, share, workflowId: 'w', fresh: false }).catch((e: unknown) => e));
    await kill({ dir: d, flag: 'f', by: 'alice', reason: 'race', workflowId: 'k' });
    await Promise.all(writes);
    const after = await readServed(d);
    expect(after.state.f!.killed).toMatchObject({ by: 'alice' });
    expect(shareOf(after.file.flags.f!)).toBe(0);
    // other flags are untouched
    expect(Object.keys(after.file.flags)).toEqual(['f']);
  });
});

describe('what a flag guards (risk)', () => {
  test('files that name the flag key, by path category; definitions and vendored packages do not count', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'airlock-flag-risk-'));
    const files: Record<string, string> = {
      'svc/flags.flagd.json': '{"flags": {"new-checkout": {}, "new-greeting": {}}}',
      'svc/payments/checkout.js': "if (await flags.isOn('new-checkout', user)) charge();",
      'svc/server.js': 'flags.isOn("new-greeting", user)',
      'svc/vendor/node_modules/x/index.js': "'new-checkout'",
      'svc/docs/notes.md': 'new-checkout without quotes is prose',
      'other/payments/pay.js': "'new-greeting'",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'x');
    const commit = git('rev-parse', 'HEAD');
    expect(await flagRisk(repo, commit, 'svc', 'new-checkout', 'svc/flags.flagd.json')).toEqual({ level: 'high', reasons: ['svc/payments/checkout.js (payments)'] });
    expect(await flagRisk(repo, commit, 'svc', 'new-greeting', 'svc/flags.flagd.json')).toEqual({ level: 'low', reasons: ['svc/server.js (code)'] });
    expect(await flagRisk(repo, commit, 'svc', 'unused', 'svc/flags.flagd.json')).toEqual({ level: 'low', reasons: [] });
  });
});

describe("the protected policy's flags: block and path rules (issue 18, item 3)", () => {
  const policyLines = (yaml: string): string[] => {
    try {
      parsePolicy(Buffer.from(`version: 1\n${yaml}`), 'airlock.policy.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as InvalidInputError).lines;
    }
    throw new Error('parsed');
  };

  test('thresholds: safe defaults, a stricter or moderately looser policy is taken', () => {
    expect(flagThresholdsOf(parsePolicy(Buffer.from('version: 1\n'), 'p').policy.flags)).toEqual(DEFAULT_FLAG_THRESHOLDS);
    const p = parsePolicy(Buffer.from('version: 1\nflags:\n  thresholds: { maxErrorRate: 0.01, minRequests: 40 }\n'), 'p').policy;
    expect(flagThresholdsOf(p.flags)).toEqual({ ...DEFAULT_FLAG_THRESHOLDS, maxErrorRate: 0.01, minRequests: 40 });
  });

  test('attack: thresholds that switch a check off, unknown keys and wrong types are refused with path: message lines', () => {
    expect(policyLines('flags:\n  thresholds: { maxErrorRate: 1 }\n')).toEqual(['flags.thresholds.maxErrorRate: must be at most 0.25: a looser 5xx share no longer judges anything']);
    expect(policyLines('flags:\n  thresholds: { maxDegradation: 0.9, minRequests: 1 }\n')).toEqual([
      'flags.thresholds.maxDegradation: must be at most 0.25: a looser difference from off no longer judges anything',
      'flags.thresholds.minRequests: must be at least 5: fewer requests judge nothing',
    ]);
    expect(policyLines('flags:\n  thresholds: { compareWithOff: false }\n')[0]).toMatch(/^flags\.thresholds: .*compareWithOff/);
    expect(policyLines('flags:\n  thresholds: { maxDeniedRate: "5%" }\n')).toEqual(['flags.thresholds.maxDeniedRate: must be a number (a share, 0..1)']);
  });

  test("what a flag guards is judged with the policy's own path rules (risk.paths), not only the defaults", async () => {
    const repo = mkdtempSync(join(tmpdir(), 'airlock-flag-risk-policy-'));
    mkdirSync(join(repo, 'svc', 'shop'), { recursive: true });
    writeFileSync(join(repo, 'svc', 'shop', 'cart.js'), "if (await flags.isOn('new-cart', user)) charge();");
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'x');
    const commit = git('rev-parse', 'HEAD');
    expect(await flagRisk(repo, commit, 'svc', 'new-cart', 'svc/flags.flagd.json')).toEqual({ level: 'low', reasons: ['svc/shop/cart.js (code)'] });
    const policy = parsePolicy(Buffer.from("version: 1\nrisk:\n  paths:\n    payments: ['**/shop/**']\n"), 'p').policy;
    expect(await flagRisk(repo, commit, 'svc', 'new-cart', 'svc/flags.flagd.json', riskPolicySchema.parse(policy.risk))).toEqual({ level: 'high', reasons: ['svc/shop/cart.js (payments)'] });
  });
});

import { scoreRisk } from '../../activities/risk';
import { riskPolicySchema, type ChangeAnalysis, type ChangedFile, type RiskPolicyInput } from '../../model/change';
import type { RiskAssessment } from '../../model/risk';

// The scorer is pure: analyses are written by hand here, the analyzer has its own tests.

const SHA = 'a'.repeat(40);

function changed(path: string, extra: Partial<ChangedFile> = {}): ChangedFile {
  return {
    path,
    status: 'modified',
    additions: 3,
    deletions: 1,
    binary: false,
    language: 'typescript',
    symbolMethod: 'typescript',
    symbols: [],
    findings: [],
    notes: [],
    ...extra,
  };
}

function analysis(files: ChangedFile[]): ChangeAnalysis {
  return {
    repo: '/repo',
    base: { ref: 'main', sha: SHA },
    head: { ref: 'HEAD', sha: 'b'.repeat(40) },
    files,
    authors: ['dev@shop.example'],
    touchesGates: false,
    stats: {
      files: files.length,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      binary: files.filter((f) => f.binary).length,
      renamed: files.filter((f) => f.status === 'renamed').length,
    },
  };
}

const policy = (input: RiskPolicyInput = {}) => riskPolicySchema.parse(input);
const score = (files: ChangedFile[], input?: RiskPolicyInput): RiskAssessment => scoreRisk(analysis(files), policy(input));
const kinds = (r: RiskAssessment) => r.signals.map((s) => s.kind);
const signal = (r: RiskAssessment, kind: string) => r.signals.find((s) => s.kind === kind);

test('an empty change is low with no signals', () => {
  const r = score([]);
  expect(r).toMatchObject({ score: 0, level: 'low', signals: [], stats: { files: 0, formula: '0 (no changes)' } });
});

test('outside every build context, docs, styles and content stay low however large, whatever they mention', () => {
  const files = Array.from({ length: 300 }, (_, i) =>
    changed(['docs/guide-', 'src/styles/theme-', 'content/pages/page-'][i % 3]! + `${i}.${['md', 'css', 'html'][i % 3]}`, {
      additions: 1000,
      language: ['markdown', 'css', 'html'][i % 3]!,
      findings: [{ kind: 'auth', detail: 'mentions tokens' }],
      buildContext: 'outside',
    }),
  );
  const r = score(files);
  expect(r).toMatchObject({ level: 'low', score: 0 });
  expect(kinds(r)).toEqual(['docs', 'styles', 'content']);
  expect(r.stats.weightedLines).toBe(0);
});

test('outside every build context, a path under an auth directory that is documentation is documentation', () => {
  const outside = { buildContext: 'outside' as const };
  const r = score([changed('src/auth/README.md', { language: 'markdown', ...outside }), changed('test/auth/session.test.ts', outside)]);
  expect(kinds(r)).toEqual(['tests', 'docs']);
  expect(r.level).toBe('low');
});

test('findings in tests outside every build context are ignored; in tooling they count', () => {
  const finding = { kind: 'secrets' as const, detail: 'added line 3: readSecret()' };
  expect(score([changed('test/fixtures/keys.ts', { findings: [finding], buildContext: 'outside' })]).level).toBe('low');
  const tool = score([changed('scripts/rotate.ts', { findings: [finding] })]);
  expect(tool.level).toBe('high');
  expect(kinds(tool)).toEqual(['secrets', 'tooling']);
});

describe('inside a build context every file is judged by content', () => {
  test('findings in docs, styles, content and tests count; the path only names the low signal', () => {
    const secret = { kind: 'secrets' as const, detail: 'added line 2: relay.write(process.env.SESSION_SECRET)' };
    for (const [path, language] of [['docs/guide.md', 'markdown'], ['src/styles/app.css', 'css'], ['locales/en.json', 'json'], ['test/fixtures/keys.json', 'json']]) {
      const r = score([changed(path!, { language, findings: [secret] })]);
      expect({ path, level: r.level, secrets: signal(r, 'secrets')?.files }).toEqual({ path, level: 'high', secrets: [path] });
    }
    const plain = score([changed('docs/guide.md', { language: 'markdown', additions: 3000 })]);
    expect(plain).toMatchObject({ level: 'low', score: 0, stats: { weightedLines: 0 } });
    expect(kinds(plain)).toEqual(['docs']);
  });

  test('scripts are code wherever they sit, tests included; the reason says why', () => {
    for (const path of ['src/content/footer.js', 'test/orders.test.ts', 'docs/examples/plugin.ts', 'src/styles/theme.ts']) {
      const r = score([changed(path, { language: 'typescript' })]);
      expect({ path, level: r.level, kinds: kinds(r) }).toEqual({ path, level: 'medium', kinds: ['code'] });
      expect(signal(r, 'code')?.reason).toMatch(/path but inside a build context: judged as code\)$/);
    }
    expect(score([changed('src/content/footer.js', { language: 'javascript', buildContext: 'outside' })]).level).toBe('low');
  });

  test('templates and prose with embedded code are code; sensitive path rules then apply', () => {
    const template = changed('views/login.ejs', { language: 'html', symbolMethod: 'none', codeEvidence: 'HTML template: rendered by the service, its tags run code' });
    const r = score([template]);
    expect(kinds(r)).toEqual(['auth', 'code']); // **/*login*.* is an auth path
    expect(signal(r, 'code')?.reason).toContain('views/login.ejs (+3 -1; HTML template: rendered by the service, its tags run code; under a content path');
    const readme = changed('src/auth/README.md', { language: 'markdown' });
    expect(kinds(score([readme]))).toEqual(['docs']); // prose: its path does not make it sensitive
    const scripted = score([{ ...readme, codeEvidence: 'code embedded in prose: added line 3: <script>' }]);
    expect(kinds(scripted)).toEqual(['auth', 'code']);
  });

  test('a file renamed into a build context is judged whole, not as a rename', () => {
    const entered = changed('src/plugins/plugin.js', {
      language: 'javascript', status: 'renamed', previousPath: 'docs/examples/plugin.js', additions: 0, deletions: 0, buildContext: 'entered',
      findings: [{ kind: 'command-execution', detail: "added line 1: require('child_process') (child_process)" }],
    });
    const r = score([entered]);
    expect(r.level).toBe('high');
    expect(kinds(r)).toEqual(['command-execution', 'code']);
    expect(signal(r, 'code')?.reason).toContain('moved into a build context from docs/examples/plugin.js: judged whole');
    expect(kinds(score([{ ...entered, buildContext: 'inside', findings: [] }]))).toEqual(['rename']);
  });

  test("the analysis' further gate files (custom policy path, .dockerignore) are gate files", () => {
    const a = analysis([changed('config/deploy-policy.yaml', { language: 'yaml' })]);
    const r = scoreRisk({ ...a, touchesGates: true, gateFiles: [{ path: 'config/deploy-policy.yaml', reason: 'the policy file (config/deploy-policy.yaml)' }] }, policy({ weights: { 'airlock-config': 0 } }));
    expect(r).toMatchObject({ level: 'high', score: 60 });
    expect(signal(r, 'airlock-config')?.reason).toContain('config/deploy-policy.yaml (the policy file (config/deploy-policy.yaml))');
  });
});

test('one security signal makes a change high; its reason names the file and the evidence', () => {
  const r = score([
    changed('src/middleware/require-user.ts', {
      additions: 1,
      deletions: 1,
      symbols: [{ name: 'requireUser', kind: 'function', change: 'changed' }],
      findings: [{ kind: 'auth', detail: 'removed line 7 in requireUser: if (!claims) return res.status(401) ("claims")', line: 7 }],
    }),
  ]);
  expect(r.level).toBe('high');
  expect(r.score).toBe(66);
  expect(r.stats.formula).toBe('60 (auth) + 0.25 x 25 (others) = 66');
  expect(signal(r, 'auth')).toEqual({
    kind: 'auth',
    weight: 60,
    reason: 'authentication, sessions or authorization: src/middleware/require-user.ts (removed line 7 in requireUser: if (!claims) return res.status(401) ("claims"))',
    files: ['src/middleware/require-user.ts'],
  });
  expect(signal(r, 'code')?.reason).toBe('application code: src/middleware/require-user.ts (function requireUser changed)');
});

test('UI and auth together are high', () => {
  const r = score([changed('src/ui/login.css', { language: 'css' }), changed('src/auth/session.ts')]);
  expect(r.level).toBe('high');
  expect(signal(r, 'styles')?.files).toEqual(['src/ui/login.css']);
  expect(signal(r, 'auth')?.files).toEqual(['src/auth/session.ts']);
});

test('several medium aspects stay medium; the strongest counts in full, the others a quarter', () => {
  const r = score([
    changed('src/routes/orders.ts', { symbols: [{ name: 'GET /orders/:id/items', kind: 'route', change: 'added' }] }),
    changed('migrations/002_items.sql', { language: 'sql', symbolMethod: 'none' }),
    changed('src/services/orders.ts', { symbols: [{ name: 'listItems', kind: 'function', change: 'added' }] }),
  ]);
  expect(kinds(r)).toEqual(['data', 'api', 'code']);
  expect(r.score).toBe(44); // 30 + 0.25 x (30 + 25)
  expect(r.level).toBe('medium');
  expect(signal(r, 'api')?.reason).toContain('route GET /orders/:id/items added');
});

test('stacking 1 makes the score a plain sum (capped at 100)', () => {
  const files = [changed('src/routes/a.ts'), changed('migrations/1.sql', { language: 'sql' })];
  expect(score(files, { stacking: 1 }).score).toBe(85);
  expect(score([...files, changed('src/auth/x.ts')], { stacking: 1 }).score).toBe(100);
});

describe('floors the policy cannot lower', () => {
  const zero = { weights: { 'airlock-config': 0, unknown: 0, code: 0, config: 0 } };

  test("airlock's own files are always high", () => {
    for (const path of ['airlock.yaml', 'services/api/airlock.policy.yaml', '.github/workflows/deploy.yml', '.gitlab-ci.yml', 'Jenkinsfile', '.github/CODEOWNERS']) {
      const r = score([changed(path, { language: 'yaml' })], zero);
      expect({ path, level: r.level, score: r.score }).toEqual({ path, level: 'high', score: 60 });
      expect(r.stats.formula).toContain("raised to 60: airlock's own files changed");
    }
  });

  test('renaming a gate file away is still a gate change', () => {
    const r = score([changed('docs/old-ci.yml', { status: 'renamed', previousPath: '.github/workflows/ci.yml', additions: 0, deletions: 0 })]);
    expect(r.level).toBe('high');
    expect(signal(r, 'airlock-config')?.reason).toContain('renamed from .github/workflows/ci.yml');
  });

  test('a policy cannot exclude gate files', () => {
    expect(riskPolicySchema.safeParse({ paths: { 'airlock-config': ['!.github/**'] } }).success).toBe(false);
  });

  test('an unclassifiable file is at least medium', () => {
    const r = score([changed('vendor/blob.bin', { binary: true, language: 'other', additions: 0, deletions: 0 })], zero);
    expect(r).toMatchObject({ level: 'medium', score: 25 });
    expect(signal(r, 'unknown')?.reason).toContain('vendor/blob.bin (binary other file modified)');
  });
});

test('a rename without content changes is low; with changes it is judged by its paths', () => {
  const pure = score([changed('src/lib/format.ts', { status: 'renamed', previousPath: 'src/services/format.ts', additions: 0, deletions: 0 })]);
  expect(pure).toMatchObject({ level: 'low', score: 0 });
  expect(signal(pure, 'rename')?.reason).toBe('renamed without content changes: src/lib/format.ts (from src/services/format.ts)');
  const moved = score([changed('src/lib/session.ts', { status: 'renamed', previousPath: 'src/auth/session.ts', additions: 2, deletions: 2 })]);
  expect(moved.level).toBe('high');
});

test('config and tooling sources are not application code', () => {
  const r = score([changed('scripts/seed.ts'), changed('config/app.yaml', { language: 'yaml' })]);
  expect(kinds(r)).toEqual(['config', 'tooling']);
  expect(r.level).toBe('low');
});

test('size grows from largeLines to hugeLines; spread counts directories two levels deep', () => {
  const sized = (lines: number) => score([changed('src/app/big.ts', { additions: lines, deletions: 0 })]);
  expect(signal(sized(500), 'size')).toBeUndefined();
  expect(signal(sized(1250), 'size')?.weight).toBe(8);
  expect(signal(sized(5000), 'size')).toMatchObject({ weight: 15, files: ['src/app/big.ts'] });
  expect(signal(sized(5000), 'size')?.reason).toContain('5000 changed lines outside docs, styles, content and tests');

  const dirs = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((d) => changed(`src/${d}/index.ts`));
  expect(signal(score(dirs.slice(0, 7)), 'spread')).toBeUndefined();
  expect(signal(score(dirs), 'spread')).toMatchObject({ weight: 10, reason: expect.stringContaining('8 directories touched (threshold 8)') });
  expect(signal(score(dirs, { spread: { directories: 20 } }), 'spread')).toBeUndefined();
});

test('policy path rules add globs per category and exclude with !glob, last match wins', () => {
  const files = [changed('src/billing-v2/ledger.ts'), changed('src/auth/legacy/banner.ts')];
  const r = score(files, { paths: { payments: ['src/billing-v2/**'], auth: ['!src/auth/legacy/**'] } });
  expect(signal(r, 'payments')?.files).toEqual(['src/billing-v2/ledger.ts']);
  expect(signal(r, 'auth')).toBeUndefined();
  const back = score(files, { paths: { auth: ['!src/auth/legacy/**', 'src/auth/legacy/banner.ts'] } });
  expect(signal(back, 'auth')?.files).toEqual(['src/auth/legacy/banner.ts']);
});

test('weights and thresholds come from the policy', () => {
  const files = [changed('src/services/orders.ts')];
  expect(score(files).level).toBe('medium');
  expect(score(files, { weights: { code: 10 } }).level).toBe('low');
  expect(score(files, { thresholds: { medium: 10, high: 20 } }).level).toBe('high');
});

test('reasons list at most five files, then how many more', () => {
  const r = score(Array.from({ length: 7 }, (_, i) => changed(`src/auth/f${i}.ts`)));
  expect(signal(r, 'auth')?.reason).toMatch(/src\/auth\/f4\.ts \(path matches the auth rules\), and 2 more files$/);
  expect(signal(r, 'auth')?.files).toHaveLength(7);
});

test('deterministic: the same analysis gives the same assessment, whatever the file order', () => {
  const files = [
    changed('src/auth/session.ts'),
    changed('README.md', { language: 'markdown' }),
    changed('migrations/3.sql', { language: 'sql', findings: [{ kind: 'data-destructive', detail: 'DROP TABLE x' }] }),
    changed('package.json', { language: 'json', findings: [{ kind: 'dependencies', detail: 'left-pad added' }] }),
  ];
  const a = score(files);
  expect(score(files)).toEqual(a);
  const b = score([...files].reverse());
  expect([b.score, b.level, kinds(b)]).toEqual([a.score, a.level, kinds(a)]);
});

import { z } from 'zod';

// Change analysis (activities/change) and the risk block of airlock.policy.yaml (activities/risk).
// The analyzer reports facts about base..head; the scorer turns them into weighted, explained signals.
// Sandbox-safe: zod only.

// --- signal kinds and path categories ------------------------------------------------------------------

/** Everything a risk signal can be about. The weights in the policy are keyed by these names. */
export const SIGNAL_KINDS = [
  'airlock-config',
  'auth',
  'payments',
  'crypto',
  'security-control',
  'secrets',
  'permissions',
  'external-integration',
  'command-execution',
  'data-destructive',
  'data',
  'network',
  'infra',
  'integration',
  'api',
  'dependencies',
  'code',
  'unknown',
  'config',
  'tooling',
  'tests',
  'docs',
  'styles',
  'content',
  'rename',
  'size',
  'spread',
] as const;
export const signalKindSchema = z.enum(SIGNAL_KINDS);
export type SignalKind = z.output<typeof signalKindSchema>;

/** Signal kinds a path glob can raise (the `paths` block of the risk policy). */
export const PATH_CATEGORIES = [
  'airlock-config',
  'auth',
  'payments',
  'crypto',
  'security-control',
  'secrets',
  'permissions',
  'network',
  'infra',
  'integration',
  'data',
  'api',
  'code',
  'config',
  'tooling',
  'tests',
  'docs',
  'styles',
  'content',
] as const satisfies readonly SignalKind[];
export type PathCategory = (typeof PATH_CATEGORIES)[number];

/** Signal kinds the analyzer raises from file contents (lines, symbols, manifests). */
export const FINDING_KINDS = [
  'auth',
  'payments',
  'crypto',
  'security-control',
  'secrets',
  'permissions',
  'external-integration',
  'command-execution',
  'data-destructive',
  'data',
  'network',
  'dependencies',
] as const satisfies readonly SignalKind[];
export const findingKindSchema = z.enum(FINDING_KINDS);
export type FindingKind = z.output<typeof findingKindSchema>;

// --- ChangeAnalysis: what activities/change returns ----------------------------------------------------

export const fileStatusSchema = z.enum(['added', 'modified', 'deleted', 'renamed', 'copied', 'type-changed']);
export type FileStatus = z.output<typeof fileStatusSchema>;

export const symbolChangeSchema = z.object({
  /** `verifyToken`, `OrderService.create`, `GET /orders/:id`, `default`. */
  name: z.string(),
  kind: z.enum(['function', 'method', 'class', 'route', 'export']),
  change: z.enum(['added', 'changed', 'removed']),
});
export type SymbolChange = z.output<typeof symbolChangeSchema>;

/** One fact found in a file's changed lines, symbols or manifests, with the evidence for the reason text. */
export const findingSchema = z.object({
  kind: findingKindSchema,
  /** Human-readable, names the line or symbol: `line 14 (in verifyToken): if (claims.exp < now)`. */
  detail: z.string(),
  line: z.number().int().optional(),
  symbol: z.string().optional(),
});
export type Finding = z.output<typeof findingSchema>;

export const buildPlacementSchema = z.enum(['inside', 'outside', 'entered', 'left']);
export type BuildPlacement = z.output<typeof buildPlacementSchema>;

export const changedFileSchema = z.object({
  /** Path at head (at base for a deleted file). */
  path: z.string(),
  /** Path at base, for renames and copies. */
  previousPath: z.string().optional(),
  status: fileStatusSchema,
  additions: z.number().int().min(0),
  deletions: z.number().int().min(0),
  binary: z.boolean(),
  /** `typescript`, `python`, `markdown`, `dockerfile`, `yaml`, ... or `other`. */
  language: z.string(),
  /** How symbols were found: the TypeScript compiler on both versions, git's hunk context + patterns, or not at all. */
  symbolMethod: z.enum(['typescript', 'patterns', 'none']),
  symbols: z.array(symbolChangeSchema),
  findings: z.array(findingSchema),
  /** Anything the analyzer could not do for this file (too large to parse, invalid JSON, ...). */
  notes: z.array(z.string()),
  /**
   * Where the file stands to the build contexts (what `airlock build` archives for a service): `inside`
   * one at base or head, `outside` every one, `entered` (renamed into one: judged whole, as if added) or
   * `left` (renamed out of one: judged as removed). Absent means inside. Only a file outside every build
   * context can take the fast path of docs, styles, content and tests; the rest is judged by content.
   */
  buildContext: buildPlacementSchema.optional(),
  /** Why the file is code whatever its path says: a template, or code embedded in prose or markup. */
  codeEvidence: z.string().optional(),
});
export type ChangedFile = z.output<typeof changedFileSchema>;

/** A file that decides how changes are judged, beyond the built-in gate globs (see GATE_FILE_GLOBS). */
export const gateFileSchema = z.object({
  path: z.string(),
  reason: z.string(),
  /** For an airlock.yaml that weakens the rollout or canary analysis: each setting, `field: base -> head`. */
  weakens: z.array(z.string()).optional(),
});
export type GateFile = z.output<typeof gateFileSchema>;

const revision = z.object({ ref: z.string(), sha: z.string().regex(/^[0-9a-f]{40,64}$/) });

export const changeAnalysisSchema = z.object({
  repo: z.string(),
  base: revision,
  head: revision,
  files: z.array(changedFileSchema),
  /** E-mails of the authors of the commits in base..head (sorted, unique). */
  authors: z.array(z.string()),
  /** A gate file changed: a built-in one (airlock.yaml, airlock.policy.yaml, CI definitions) or one of gateFiles. */
  touchesGates: z.boolean(),
  /**
   * Further gate files of this repository that the change touches: the policy file at a custom path, the
   * .dockerignore of a build context (it decides which files ship and are judged by content), and an
   * airlock.yaml that weakens the rollout or canary analysis compared with base (the reason names each setting).
   */
  gateFiles: z.array(gateFileSchema).optional(),
  /** The build contexts found at base and head (`.` = the repository root; also when no airlock.yaml names one). */
  buildContexts: z.array(z.string()).optional(),
  stats: z.object({
    files: z.number().int(),
    additions: z.number().int(),
    deletions: z.number().int(),
    binary: z.number().int(),
    renamed: z.number().int(),
  }),
});
export type ChangeAnalysis = z.output<typeof changeAnalysisSchema>;

// --- the `risk:` block of airlock.policy.yaml ----------------------------------------------------------

export const DEFAULT_WEIGHTS: Record<SignalKind, number> = {
  'airlock-config': 100,
  auth: 60,
  payments: 60,
  crypto: 60,
  'security-control': 60,
  secrets: 60,
  permissions: 60,
  'external-integration': 60,
  'command-execution': 60,
  'data-destructive': 60,
  data: 30,
  network: 30,
  infra: 30,
  integration: 30,
  api: 30,
  dependencies: 30,
  code: 25,
  unknown: 25,
  config: 5,
  tooling: 5,
  tests: 2,
  docs: 0,
  styles: 0,
  content: 0,
  rename: 0,
  size: 15,
  spread: 10,
};

/**
 * Airlock's own files: a change to one is always high risk, whatever the policy says (a change must not be
 * able to weaken the gates that judge it). The policy may add globs to this category but not remove these.
 */
export const GATE_FILE_GLOBS: readonly string[] = [
  '**/airlock.yaml',
  '**/airlock.yml',
  '**/airlock.policy.yaml',
  '**/airlock.policy.yml',
  '.github/workflows/**',
  '.github/actions/**',
  '**/CODEOWNERS',
  '**/.gitlab-ci.yml',
  '.gitlab/ci/**',
  '.circleci/**',
  '**/Jenkinsfile',
  '**/azure-pipelines.yml',
  '.azure-pipelines/**',
  '.buildkite/**',
  'bitbucket-pipelines.yml',
  '.drone.yml',
  '.travis.yml',
  '.woodpecker.yml',
  '.woodpecker/**',
  '.ci/**',
];

const CODE_EXTENSIONS =
  'ts,tsx,mts,cts,js,jsx,mjs,cjs,vue,svelte,py,go,rb,java,kt,kts,scala,cs,fs,rs,php,c,h,cc,cpp,hpp,m,mm,swift,ex,exs,erl,clj,lua,pl,r,dart,sh,bash,zsh,ps1';

/**
 * Built-in path rules (picomatch globs, case-insensitive, matched against repo-relative paths). In a
 * category's list a later `!glob` excludes what earlier globs matched, like .gitignore.
 */
export const DEFAULT_PATH_RULES: Record<PathCategory, readonly string[]> = {
  'airlock-config': GATE_FILE_GLOBS,
  auth: [
    '**/auth/**', '**/authn/**', '**/authz/**', '**/authentication/**', '**/authorization/**', '**/login/**',
    '**/oauth*/**', '**/sso/**', '**/session/**', '**/sessions/**', '**/permissions/**', '**/roles/**', '**/acl/**',
    '**/auth.*', '**/*-auth.*', '**/*_auth.*', '**/*.auth.*', '**/*auth.*', '**/auth-*', '**/auth_*',
    '**/*login*.*', '**/*session*.*', '**/passport*', '**/jwt*', '**/*password*.*',
  ],
  payments: [
    '**/payment*/**', '**/payment*.*', '**/billing/**', '**/billing*.*', '**/checkout/**', '**/checkout*.*',
    '**/stripe*/**', '**/stripe*.*', '**/paypal*', '**/invoic*/**', '**/invoic*.*', '**/charge*.*', '**/refund*.*',
    '**/wallet/**',
  ],
  crypto: ['**/crypto/**', '**/*crypt*.*', '**/*cipher*.*', '**/kms/**', '**/tls/**', '**/certs/**', '**/*.crt'],
  'security-control': [
    '**/security/**', '**/*security*.*', '**/*csrf*', '**/*xsrf*', '**/cors.*', '**/*-cors.*', '**/*helmet*',
    '**/*firewall*', '**/*rate-limit*', '**/*ratelimit*', '**/*sanitiz*', '**/waf/**',
  ],
  secrets: [
    '**/secrets/**', '**/*secret*', '**/*.pem', '**/*.key', '**/*.p12', '**/*.pfx', '**/*.jks', '**/*.keystore',
    '**/credentials*', '**/id_rsa*', '**/id_ed25519*',
  ],
  permissions: [
    '**/iam/**', '**/rbac/**', '**/*rbac*.{yaml,yml,json}', '**/policies/**', '**/*.rego', '**/sudoers',
    '**/sudoers.d/**', '**/apparmor/**', '**/seccomp*.json', '**/*serviceaccount*.{yaml,yml}',
    '**/*clusterrole*.{yaml,yml}', '**/*.cedar',
  ],
  network: [
    '**/nginx*.conf', '**/nginx/**', '**/haproxy*.cfg', '**/envoy*.{yaml,yml}', '**/istio/**', '**/ingress*.{yaml,yml}',
    '**/*networkpolic*.{yaml,yml}',
  ],
  infra: [
    '**/Dockerfile', '**/Dockerfile.*', '**/*.dockerfile', '**/Containerfile', '**/docker-compose*.{yml,yaml}',
    '**/compose*.{yml,yaml}', '**/k8s/**', '**/kubernetes/**', '**/helm/**', '**/charts/**', '**/*.tf',
    '**/*.tfvars', '**/terraform/**', '**/Pulumi*.yaml', '**/infra/**', '**/deploy/**', '**/deployment/**',
    '**/ansible/**', '**/*.nomad', '**/Procfile', '**/fly.toml', '**/serverless.{yml,yaml}',
  ],
  integration: ['**/integrations/**', '**/integration/**', '**/webhooks/**', '**/webhook*.*', '**/clients/**', '**/adapters/**'],
  data: [
    '**/migrations/**', '**/migration/**', '**/migrate/**', '**/alembic/**', '**/*.sql', '**/*.prisma',
    '**/schema.rb', '**/models/**', '**/entities/**', '**/entity/**', '**/seeds/**',
  ],
  api: [
    '**/routes/**', '**/routers/**', '**/controllers/**', '**/handlers/**', '**/api/**', '**/endpoints/**',
    '**/*.proto', '**/*.graphql', '**/*.gql', '**/openapi*.{yaml,yml,json}', '**/swagger*.{yaml,yml,json}',
  ],
  code: [`**/*.{${CODE_EXTENSIONS}}`],
  config: [
    '**/config/**', '**/configs/**', '**/*.{yaml,yml,json,jsonc,json5,toml,ini,cfg,conf,properties,env,xml}',
    '**/.env', '**/.env.*', '**/*.lock', '**/go.mod', '**/go.sum', '**/requirements*.txt', '**/Gemfile',
    '**/Pipfile',
  ],
  tooling: [
    'scripts/**', 'script/**', 'tools/**', 'tool/**', 'hack/**', 'bin/**', '**/Makefile', '**/*.mk', '.husky/**',
    '.vscode/**', '.idea/**', '.devcontainer/**', '.github/**', '**/.editorconfig', '**/.prettierrc*',
    '**/.prettierignore', '**/.eslintrc*', '**/.eslintignore', '**/eslint.config.*', '**/.gitignore',
    '**/.gitattributes', '**/.dockerignore', '**/tsconfig*.json', '**/jest.config.*', '**/vitest.config.*',
    '**/.nvmrc', '**/.node-version', '**/.tool-versions',
  ],
  tests: [
    '**/test/**', '**/tests/**', '**/__tests__/**', '**/spec/**', '**/*.test.*', '**/*.spec.*', '**/*_test.go',
    '**/test_*.py', '**/*_test.py', '**/testdata/**', '**/fixtures/**', '**/__mocks__/**', '**/e2e/**',
    '**/cypress/**',
  ],
  docs: [
    '**/*.md', '**/*.mdx', '**/*.markdown', '**/*.rst', '**/*.adoc', '**/*.txt', '!**/requirements*.txt',
    'docs/**', 'doc/**', '**/LICENSE*', '**/COPYING*', '**/CHANGELOG*', '**/AUTHORS*', '**/NOTICE*',
    '**/CONTRIBUTING*',
  ],
  styles: ['**/*.{css,scss,sass,less,styl,pcss}', '**/*.css.map', '**/styles/**'],
  content: [
    'content/**', '**/content/**', '**/locales/**', '**/locale/**', '**/i18n/**', '**/translations/**',
    '**/*.{po,pot}', '**/*.{png,jpg,jpeg,gif,svg,webp,avif,ico,bmp,tif,tiff}', '**/*.{woff,woff2,ttf,otf,eot}',
    '**/*.{mp4,webm,mp3,wav,ogg}', '**/*.pdf', '**/*.{html,htm,hbs,ejs,njk,mustache,liquid}',
  ],
};

const weight = z.number().min(0).max(100);
const weightsShape = Object.fromEntries(SIGNAL_KINDS.map((k) => [k, weight.default(DEFAULT_WEIGHTS[k])])) as {
  [K in SignalKind]: z.ZodDefault<z.ZodNumber>;
};

const glob = z.string().min(1).max(300);
const pathsShape = Object.fromEntries(
  PATH_CATEGORIES.map((c) => [
    c,
    c === 'airlock-config'
      ? z
          .array(glob.refine((g) => !g.startsWith('!'), "airlock's own files cannot be excluded (add globs only)"))
          .default([])
      : z.array(glob).default([]),
  ]),
) as { [K in PathCategory]: z.ZodDefault<z.ZodArray<z.ZodString>> };

const level = z.number().int().min(1).max(100);

/**
 * The `risk:` block of airlock.policy.yaml. Every key is optional: `riskPolicySchema.parse(undefined)` is
 * the built-in policy. `paths` lists are ADDED after the built-in globs of the same category (see
 * DEFAULT_PATH_RULES); a `!glob` removes matches, except for airlock-config.
 */
export const riskPolicySchema = z
  .object({
    /** Score at or above which a change is medium / high. */
    thresholds: z
      .object({ medium: level.default(25), high: level.default(60) })
      .strict()
      .refine((t) => t.medium < t.high, { message: 'medium must be lower than high', path: ['high'] })
      .prefault({}),
    /** Weight of each signal kind (0-100). */
    weights: z.object(weightsShape).strict().prefault({}),
    /**
     * How much each signal after the strongest adds: score = strongest weight + stacking x (sum of the
     * others), capped at 100. 0.25 keeps a feature with an endpoint, a query and new code medium while one
     * security signal alone is high; 1 makes the score a plain sum.
     */
    stacking: z.number().min(0).max(1).default(0.25),
    /** Extra globs per category, after the built-in ones. */
    paths: z.object(pathsShape).strict().prefault({}),
    /** Changed lines (outside docs/styles/content/tests) where the size signal starts and reaches its full weight. */
    size: z
      .object({ largeLines: z.number().int().min(1).default(500), hugeLines: z.number().int().min(2).default(2000) })
      .strict()
      .refine((s) => s.largeLines < s.hugeLines, { message: 'largeLines must be lower than hugeLines', path: ['hugeLines'] })
      .prefault({}),
    /** Distinct directories (two levels deep) a change must span to raise the spread signal. */
    spread: z.object({ directories: z.number().int().min(2).default(8) }).strict().prefault({}),
  })
  .strict()
  .prefault({});
export type RiskPolicy = z.output<typeof riskPolicySchema>;
export type RiskPolicyInput = z.input<typeof riskPolicySchema>;

/** The built-in risk policy (what an absent `risk:` block means). */
export const defaultRiskPolicy = (): RiskPolicy => riskPolicySchema.parse(undefined);

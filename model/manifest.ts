import { z } from 'zod';
import { durationMs } from './duration';
import { securitySurfaceSchema } from './runtime-security';

/**
 * `airlock.yaml`, the service manifest kept in the service directory. Strict: unknown keys are errors,
 * so a typo (`replica:`) is caught instead of silently ignored.
 */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the service directory');

const duration = z
  .string()
  .regex(/^\d+(ms|s|m)$/, 'must be a duration like 500ms, 5s or 2m');

const httpPath = z.string().startsWith('/', 'must be an HTTP path starting with /').max(512);

/** One kind of synthetic request during canary analysis (`analysis.load`), chosen in proportion to `weight`. */
export const loadPathSchema = z
  .object({
    path: httpPath,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    weight: z.number().int().min(1).max(100).default(1),
    /** Request body (sent as application/json); at most 4 KiB. */
    body: z.string().max(4096).optional(),
  })
  .strict();

/**
 * A check of the manifest's own (Argo Rollouts' AnalysisTemplate, Flagger's MetricTemplate): PromQL whose
 * answer is one number, with `{{service}}`, `{{env}}`, `{{release}}` and `{{window}}` filled in by airlock
 * (escaped). Exactly one of `max` and `min`.
 */
const PLACEHOLDERS = ['service', 'env', 'release', 'window'];

export const customCheckSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lowercase letters, digits and dashes'),
    query: z
      .string()
      .min(1)
      .max(2000)
      .refine((q) => [...q.matchAll(/\{\{\s*([a-z]*)\s*\}\}/g)].every((m) => PLACEHOLDERS.includes(m[1]!)), `placeholders are ${'{{service}} {{env}} {{release}} {{window}}'}`),
    max: z.number().optional(),
    min: z.number().optional(),
    /** true (default): no data (and NaN, +-Inf) is inconclusive; false: the check is skipped when there is no data (a counter that only exists once something happened). */
    failOnNoData: z.boolean().default(true),
  })
  .strict()
  .refine((c) => (c.max === undefined) !== (c.min === undefined), { message: 'give exactly one of max and min', path: ['max'] });

/**
 * Limits of each release container (`run.resources`). Every field is optional: what is left out takes
 * the safe default (DEFAULT_RESOURCES), so a release can never run unbounded and exhaust the host that
 * also runs the router, the worker and Temporal.
 */
export const resourcesSchema = z
  .object({
    /** Memory limit in MiB (no swap beyond it). */
    memoryMb: z.number().int().min(16).max(65536).optional(),
    /** CPUs, fractional (0.5 = half a core). */
    cpus: z.number().min(0.01).max(64).optional(),
    /** Most processes and threads the container may have (fork bombs stop here). */
    pids: z.number().int().min(8).max(65536).optional(),
  })
  .strict();
export type Resources = Required<z.output<typeof resourcesSchema>>;

/** What a release container gets when airlock.yaml says nothing: enough for a small service, bounded. */
export const DEFAULT_RESOURCES: Resources = { memoryMb: 512, cpus: 1, pids: 256 };

/** The manifest's limits with the defaults filled in. */
export const resourcesOf = (r: z.output<typeof resourcesSchema> | undefined): Resources => ({
  memoryMb: r?.memoryMb ?? DEFAULT_RESOURCES.memoryMb,
  cpus: r?.cpus ?? DEFAULT_RESOURCES.cpus,
  pids: r?.pids ?? DEFAULT_RESOURCES.pids,
});

export const canaryAnalysisSchema = z
  .object({
    /** How often a measurement is taken. */
    interval: duration.default('5s'),
    /** Measurements per canary step (each one interval apart). */
    checks: z.number().int().min(1).max(100).default(3),
    /** Checks that did not pass (failed or inconclusive) that make the verdict `fail` (Flagger's threshold). */
    failureLimit: z.number().int().min(1).default(1),
    /** Lowest acceptable share of non-5xx responses, 0..1. */
    minSuccessRate: z.number().min(0).max(1).default(0.99),
    /** Highest acceptable p95 latency of the candidate. */
    maxLatencyP95Ms: z.number().int().positive().default(500),
    /** The candidate may be at most this much worse than stable over the same window (success rate points). */
    maxSuccessRateDrop: z.number().min(0).max(1).default(0.02),
    /** Synthetic requests per second driven through the router during analysis; 0 = none. */
    loadRps: z.number().min(0).max(1000).default(20),
    /** Requests the candidate must have answered in the step before a check counts: fewer = inconclusive. */
    minRequests: z.number().int().min(1).max(100_000).default(50),
    /** Confidence of the statistical tests (a check fails when the data says "worse" at this confidence). */
    confidence: z.number().min(0.5).max(0.9999).default(0.95),
    /** The candidate's share of 401/403 answers may differ from stable's by at most this much (either way). */
    maxAuthRefusalChange: z.number().min(0).max(1).default(0.05),
    /** The candidate's share of 4xx answers may differ from stable's by at most this much (either way). */
    maxClientErrorChange: z.number().min(0).max(1).default(0.1),
    /** How long a step may wait, in all, for `minRequests` (driving load meanwhile) before a check is inconclusive. */
    evidenceWait: duration.default('30s'),
    /** What the synthetic load requests; default: the health path and `/`. */
    load: z.array(loadPathSchema).min(1).max(20).optional(),
    /** Checks of the service's own, in PromQL. */
    metrics: z.array(customCheckSchema).max(20).default([])
      .refine((m) => new Set(m.map((c) => c.name)).size === m.length, 'check names must be unique'),
  })
  .strict();

export const rolloutSchema = z
  .discriminatedUnion('strategy', [
    z
      .object({
        strategy: z.literal('canary'),
        steps: z
          .array(z.number().int().min(1).max(100))
          .min(1)
          .default([10, 50, 100])
          .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]!), 'step weights must increase')
          .refine((s) => s[s.length - 1] === 100, 'the last step weight must be 100'),
      })
      .strict(),
    z.object({ strategy: z.literal('blue-green') }).strict(),
  ]);

/** Longest soak an environment may ask for: the environment lock is held through it. */
export const MAX_SOAK = '24h';

/**
 * How long a release must run healthy in an environment, at full traffic and with its canary analysis
 * repeated, before it is promoted there and may go on to the next environment of `promotion` (0s: none).
 */
const soakSchema = z
  .string()
  .regex(/^\d+(s|m|h)$/, 'must be a duration like 30s, 10m or 2h')
  // (zod runs the refinement after a failed regex too: only a well-formed duration is measured)
  .refine((d) => !/^\d+(s|m|h)$/.test(d) || durationMs(d) <= durationMs(MAX_SOAK), `must be at most ${MAX_SOAK} (the environment lock is held through the soak)`);

/**
 * Which approval rule of the policy applies in an environment: `inherit` (the rule of the change's risk
 * level) or a level whose rule applies instead (e.g. `low` for staging: no approval; `high` for production:
 * two, one from security). Taken from the airlock.yaml the environment runs (the anchor); a change can only
 * raise it for itself (model/promotion.ts).
 */
export const APPROVAL_OVERRIDES = ['inherit', 'low', 'medium', 'high'] as const;

export const environmentSchema = z
  .object({
    /** Time at full traffic with continuous canary analysis before promote (promotion only; default none). */
    soak: soakSchema.optional(),
    /** The policy's approval rule for this environment (promotion only; default inherit). */
    approvals: z.enum(APPROVAL_OVERRIDES).optional(),
    /** Host port the environment's router publishes (on 127.0.0.1). Stable across releases. */
    routerPort: z.number().int().min(1024).max(65535),
    replicas: z.number().int().min(1).max(10).optional(),
    rollout: rolloutSchema.default({ strategy: 'canary', steps: [10, 50, 100] }),
    analysis: canaryAnalysisSchema.default(canaryAnalysisSchema.parse({})),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  })
  .strict();

export const manifestSchema = z
  .object({
    service: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lowercase letters, digits and dashes (max 41)'),
    build: z
      .object({
        dockerfile: relativePath.default('Dockerfile'),
        context: relativePath.default('.'),
      })
      .strict(),
    run: z
      .object({
        port: z.number().int().min(1).max(65535),
        health: z.string().startsWith('/', 'must be an HTTP path starting with /'),
        replicas: z.number().int().min(1).max(10).default(1),
        /** Path of the app's own Prometheus metrics, scraped besides the router's; omit when there are none. */
        metrics: z.string().startsWith('/').optional(),
        /** Container limits; omitted fields take DEFAULT_RESOURCES. */
        resources: resourcesSchema.optional(),
      })
      .strict(),
    /**
     * Path of the policy file, relative to the repository root; default `<service dir>/airlock.policy.yaml`.
     * The pipeline reads it from the airlock.yaml of the commit the environment runs now (the anchor).
     */
    policy: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the repository')
      .optional(),
    /**
     * The HTTP surface the runtime security stage probes on the candidate before it gets traffic
     * (docs/runtime-security.md). Absent: the stage is skipped and reported as not declared.
     */
    security: securitySurfaceSchema.optional(),
    environments: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'environment names are lowercase slugs'), environmentSchema)
      .refine((e) => Object.keys(e).length > 0, 'at least one environment is needed'),
    /**
     * The order one build goes through the environments, e.g. [staging, production]: each with its own lock,
     * gate, approvals, rollout, analysis and soak; "passed in <env>" admits it to the next (docs/promotion.md).
     */
    promotion: z.array(z.string()).min(1).max(10).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    (m.promotion ?? []).forEach((env, i) => {
      if (!m.environments[env])
        ctx.addIssue({ code: 'custom', path: ['promotion', i], message: `unknown environment ${env} (environments: ${Object.keys(m.environments).join(', ')})` });
      else if (seen.has(env))
        ctx.addIssue({ code: 'custom', path: ['promotion', i], message: `${env} is already at position ${seen.get(env)}: a promotion is an order without repeats (no cycles)` });
      seen.set(env, i);
    });
  });

export type Manifest = z.output<typeof manifestSchema>;
export type EnvironmentSettings = z.output<typeof environmentSchema>;
export type CanaryAnalysisSettings = z.output<typeof canaryAnalysisSchema>;
export type LoadPath = z.output<typeof loadPathSchema>;
export type CustomCheck = z.output<typeof customCheckSchema>;
export type RolloutSettings = z.output<typeof rolloutSchema>;
/** `build:` of airlock.yaml: context and Dockerfile, relative to the service directory. */
export type BuildSettings = Manifest['build'];

export const MANIFEST_FILE = 'airlock.yaml';

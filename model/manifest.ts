import { z } from 'zod';
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

export const canaryAnalysisSchema = z
  .object({
    /** How often a measurement is taken. */
    interval: duration.default('5s'),
    /** Measurements per canary step (each one interval apart). */
    checks: z.number().int().min(1).max(100).default(3),
    /** Failed measurements that make the verdict `fail` (Flagger's threshold). */
    failureLimit: z.number().int().min(1).default(1),
    /** Lowest acceptable share of non-5xx responses, 0..1. */
    minSuccessRate: z.number().min(0).max(1).default(0.99),
    /** Highest acceptable p95 latency of the candidate. */
    maxLatencyP95Ms: z.number().int().positive().default(500),
    /** The candidate may be at most this much worse than stable over the same window (success rate points). */
    maxSuccessRateDrop: z.number().min(0).max(1).default(0.02),
    /** Synthetic requests per second driven through the router during analysis; 0 = none. */
    loadRps: z.number().min(0).max(1000).default(20),
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

export const environmentSchema = z
  .object({
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
  })
  .strict();

export type Manifest = z.output<typeof manifestSchema>;
export type EnvironmentSettings = z.output<typeof environmentSchema>;
export type CanaryAnalysisSettings = z.output<typeof canaryAnalysisSchema>;
export type RolloutSettings = z.output<typeof rolloutSchema>;
/** `build:` of airlock.yaml: context and Dockerfile, relative to the service directory. */
export type BuildSettings = Manifest['build'];

export const MANIFEST_FILE = 'airlock.yaml';

// Deploy and analysis results on a deploy target (issue "Immutable deploy, canary analysis and rollback").
import type { PromotionPlan } from './promotion';
import { z } from 'zod';
import { InvalidInputError } from './errors';
import { canaryAnalysisSchema, environmentSchema, manifestSchema, type BuildSettings, type EnvironmentSettings, type Manifest } from './manifest';
import { releaseId as releaseIdOf, stackName } from './names';
import { commitSchema, type PipelineState } from './pipeline';
import { levelRuleSchema } from './policy-snapshot';
import type { SecuritySurface } from './runtime-security';

export interface DeployedRelease {
  releaseId: string;
  image: string; // image@digest
  containers: string[]; // container names
}

/** How a measurement came out: `inconclusive` = not enough, or no usable, data (never a pass). */
export type MeasurementStatus = 'pass' | 'fail' | 'inconclusive' | 'skipped';

/** One analysis measurement: what was queried, what came back, what it was compared with. */
export interface Measurement {
  metric: string; // e.g. requests, success-rate, latency-p95-ms, success-rate-drop, auth-refusal-change, custom:<name>
  step: number; // traffic weight of the candidate when measured
  value: number | null; // null = no data
  threshold: number;
  stableValue?: number | null;
  /** true for pass and skipped (kept for readers of verdicts recorded before `status` existed). */
  passed: boolean;
  at: string; // ISO time the measurement was taken (activity clock)
  query: string; // the PromQL (or where the value came from)
  /** 1-based index of the check (one check = one interval) this measurement belongs to. */
  check?: number;
  status?: MeasurementStatus;
  /** Why it is inconclusive, skipped or failed, in words. */
  note?: string;
  /** The statistical test's p-value (the chance of data this bad if the candidate were within the threshold). */
  pValue?: number;
  /** The counts a test was computed over: [events, requests] for the candidate and stable. */
  counts?: { candidate: [number, number]; stable?: [number, number] };
}

export interface CanaryVerdict {
  step: number;
  verdict: 'pass' | 'fail';
  measurements: Measurement[];
  /** When failed: the check that failed and its measured value, e.g. "success-rate 0.71 < 0.99". */
  reason?: string;
  /** Checks taken and how many of them failed (a check fails when any of its measurements fails). */
  checks?: number;
  failedChecks?: number;
  /** Checks with no failure but without enough data (they count towards failureLimit too). */
  inconclusiveChecks?: number;
  /** Requests each release answered in the step, as the router counted them (at the last check). */
  requests?: { candidate: number; stable: number | null };
  /** The analysis settings the verdict was reached with (interval, failureLimit, thresholds, loadRps). */
  settings?: Record<string, unknown>;
  /** Synthetic load driven during the analysis: per URL, requests sent and answers by status (and by path). */
  load?: { url: string; rps: number; sent: number; byStatus: Record<string, number>; errors: number; byPath?: Record<string, Record<string, number>> }[];
  /**
   * The traffic move this analysis began with (input `shift: true`, patch `shift-in-analysis`): shiftTraffic's
   * result, when the weight was live and how long the move took. Absent: the move was its own activity.
   */
  traffic?: ShiftResult & { at: string; ms: number };
}

// ---- activity inputs (validated at the activity edge; workflows pass them typed) ----

const digestRef = z
  .string()
  .regex(/^[a-z0-9.:/_-]+@sha256:[0-9a-f]{64}$/, 'must be an image pinned by digest: <repository>@sha256:<64 hex>');

export const releaseRefSchema = z
  .object({
    releaseId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,80}$/, 'must be a lowercase slug'),
    image: digestRef,
  })
  .strict();
export type ReleaseRef = z.output<typeof releaseRefSchema>;

/** Where a release goes: the service's run settings and one environment's settings from airlock.yaml. */
export const deployTargetSchema = z
  .object({
    service: manifestSchema.shape.service,
    environment: z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'environment names are lowercase slugs'),
    run: manifestSchema.shape.run,
    settings: environmentSchema,
  })
  .strict();
export type DeployTarget = z.output<typeof deployTargetSchema>;

const targetRefShape = {
  releaseId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,80}$/, 'must be a lowercase slug'),
  service: manifestSchema.shape.service,
  environment: z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'environment names are lowercase slugs'),
};

/**
 * The environment lock's holder an operation acts for (patch `lock-lease`): the activity checks that the
 * lock still names this run before it touches the environment (activities/deploy/lease.ts). Absent in runs
 * from before the patch and in direct calls (tests, benches): no check.
 */
export const leaseSchema = z.object({ pipelineId: z.string().min(1).max(300), runId: z.string().min(1).max(100) }).strict();
export type LeaseToken = z.output<typeof leaseSchema>;
const fenced = { lease: leaseSchema.optional() };

/**
 * The pipeline's admission of the image (patch `verify-in-deploy`): the evidence chain must verify for the
 * input's environment, as the verifyEvidence activity checks it, before anything is created. Sent only when
 * the deploy runs on the pipeline's own task queue (the same workers, keys and registry as verifyEvidence).
 */
export const pipelineAdmissionSchema = z
  .object({
    /** The policy's `evidence.trustedKeys` (PEM); absent: the verifying worker's own key. */
    trustedKeys: z.array(z.string().min(1)).min(1).optional(),
    /** Promotion: the chain must also hold a `promoted` rollout record of this (the previous) environment. */
    passedIn: z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'environment names are lowercase slugs').optional(),
    /**
     * Patch `approvals-in-deploy`: the approvals link to sign and push for this image first (what recordEvidence
     * is given for it, without the release and image: the deploy's own), then the chain is verified with it.
     */
    approvals: z
      .object({
        pipelineId: z.string().min(1),
        runId: z.string().min(1),
        // the pipeline's state as the gate left it; the approvals predicate checks what it reads from it
        state: z.custom<PipelineState>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be the pipeline state (an object)'),
        rule: levelRuleSchema,
        authors: z.array(z.string()),
      })
      .strict()
      .optional(),
  })
  .strict();
export type PipelineAdmission = z.output<typeof pipelineAdmissionSchema>;

/**
 * deployCandidate's input (model/activities.ts PipelineActivities): the release and where its manifest
 * is, either committed (`repo`, `commit`, `serviceDir`: the pipeline) or already parsed (`target`:
 * `airlock deploy` and tests); `admit`: the pipeline's admission, checked first.
 */
export const deployCandidateInputSchema = z
  .object({
    ...targetRefShape,
    image: digestRef,
    repo: z.string().min(1).optional(),
    commit: z.string().min(1).optional(),
    serviceDir: z.string().optional(),
    target: deployTargetSchema.optional(),
    admit: pipelineAdmissionSchema.optional(),
    ...fenced,
  })
  .strict()
  .refine((v) => v.target !== undefined || (v.repo !== undefined && v.commit !== undefined && v.serviceDir !== undefined), {
    message: 'needs either target, or repo, commit and serviceDir to read airlock.yaml from',
  })
  .refine((v) => !v.target || (v.target.service === v.service && v.target.environment === v.environment), {
    message: 'target.service and target.environment must match service and environment',
  });
export type DeployCandidateInput = z.input<typeof deployCandidateInputSchema>;

/** readChange's input (model/activities.ts ReadChangeInput, patch `read-change-together`). */
export const readChangeInputSchema = z
  .object({
    ...targetRefShape,
    repo: z.string().min(1),
    serviceDir: z.string(),
    headCommit: commitSchema,
    anchor: commitSchema.nullable(),
    promotion: z.object({ anchor: commitSchema.nullable() }).strict().optional(),
  })
  .strict();

export const shiftInputSchema = z.object({ ...targetRefShape, weight: z.number().int().min(0).max(100), ...fenced }).strict();
export type ShiftInput = z.output<typeof shiftInputSchema>;

/**
 * `shift: true` (patch `shift-in-analysis`): the candidate first gets `step` percent of user traffic, exactly
 * as shiftTraffic gives it (fenced by `lease`), then the analysis runs at that weight: one activity instead of two.
 */
export const analyzeInputSchema = z
  .object({ ...targetRefShape, step: z.number().int().min(0).max(100), settings: canaryAnalysisSchema, shift: z.literal(true).optional(), ...fenced })
  .strict()
  .refine((i) => i.shift || !i.lease, { message: 'a lease is only given with shift: true (the analysis alone changes nothing)', path: ['lease'] });
export type AnalyzeInput = z.input<typeof analyzeInputSchema>;
/** What the analysis itself is given: the parsed input without the move. */
export type AnalyzeStep = Omit<z.output<typeof analyzeInputSchema>, 'shift' | 'lease'>;

/**
 * `settle: 'later'` (patch `settle-after-promote`): promote makes the traffic final (all on the candidate,
 * the old release drained) and returns; settleRelease records it afterwards (old release destroyed).
 */
export const promoteInputSchema = z.object({ ...targetRefShape, ...fenced, settle: z.literal('later').optional() }).strict();
export type PromoteInput = z.output<typeof promoteInputSchema>;

export const rollbackInputSchema = z.object({ ...targetRefShape, reason: z.string().optional(), ...fenced }).strict();
export type RollbackInput = z.output<typeof rollbackInputSchema>;

/** `airlock rollback`: put a release of the history back (default: the one before the current stable). */
export const restoreInputSchema = z
  .object({
    service: targetRefShape.service,
    environment: targetRefShape.environment,
    toReleaseId: z.string().min(1).optional(),
    reason: z.string().optional(),
    ...fenced,
  })
  .strict();
export type RestoreInput = z.output<typeof restoreInputSchema>;

export const environmentRefSchema = z.object({ service: targetRefShape.service, environment: targetRefShape.environment }).strict();
export type EnvironmentRef = z.output<typeof environmentRefSchema>;

// ---- state of one (service, env), as the stack's outputs say ----

export interface RouterEndpoints {
  /** User traffic, stable published port from the manifest: http://127.0.0.1:<routerPort> */
  url: string;
  /** Candidate only (blue-green analysis, smoke tests): http://127.0.0.1:<port> */
  previewUrl: string;
  /** HAProxy Prometheus exporter: http://127.0.0.1:<port>/metrics */
  metricsUrl: string;
  /** HAProxy runtime API, a unix socket only airlock's user can open: unix:<AIRLOCK_HOME>/run/routers/<stack>/admin.sock */
  adminAddress: string;
  container: string;
}

export interface ReleaseRecord {
  releaseId: string;
  image: string;
  /** When it became stable (activity clock, ISO). */
  promotedAt: string;
}

export interface EnvironmentState {
  service: string;
  environment: string;
  stack: string;
  router: RouterEndpoints | null;
  stable: DeployedRelease | null;
  candidate: (DeployedRelease & { weight: number }) | null;
  /** Releases that were stable, newest first (the current stable included). */
  history: ReleaseRecord[];
}

/** deployCandidate's answer: the candidate release (a DeployedRelease) and its surroundings. */
export interface DeployCandidateResult extends DeployedRelease {
  /** The release serving users meanwhile; null on the first deploy of an environment. */
  stable: DeployedRelease | null;
  router: RouterEndpoints;
  /** true when this call found the candidate already deployed (a retried activity). */
  reused: boolean;
  /** true when the release already is the stable one: nothing to roll out. */
  alreadyStable: boolean;
}

export interface ShiftResult {
  releaseId: string;
  weight: number;
  /** HAProxy server weights that give that split. */
  servers: Record<string, number>;
}

export interface PromoteResult {
  stable: DeployedRelease;
  /** Release ids whose containers were drained and destroyed. */
  removed: string[];
  reused: boolean;
  /** false: traffic is final, the stack update that destroys the old release is settleRelease's (settle: 'later'). */
  settled?: boolean;
}

export interface RestoreResult {
  stable: DeployedRelease;
  removed: string[];
  reused: boolean;
}

export interface RollbackResult {
  /** The release serving 100% again (null when there was none: a first deploy rolled back). */
  stable: DeployedRelease | null;
  removed: string[];
  /** Milliseconds from the start of the rollback until the router sent no traffic to the candidate. */
  trafficRestoredMs: number;
  reused: boolean;
}

// ---- pure helpers shared by workflows and activities ----

/** Release id of an image deployed without a commit (airlock deploy --image): from its digest. */
export function releaseIdForImage(service: string, environment: string, image: string): string {
  const hex = /@sha256:([0-9a-f]{64})$/.exec(image)?.[1];
  if (!hex) throw new RangeError(`not an image pinned by digest: ${image}`);
  return releaseIdOf(service, environment, hex);
}

/** Names of a release's containers (and its router servers): `<releaseId>-<n>`, n from 1. */
export function releaseContainerNames(releaseId: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${releaseId}-${i + 1}`);
}

export const routerContainerName = (service: string, environment: string): string => `${stackName(service, environment)}-router`;
export const networkName = (service: string, environment: string): string => `airlock-${stackName(service, environment)}`;

/** Replicas of the service in one environment: the environment's override, else the service's. */
export const replicasOf = (target: Pick<DeployTarget, 'run' | 'settings'>): number => target.settings.replicas ?? target.run.replicas;

/** DeployTarget for one environment of a parsed manifest. */
export function deployTargetOf(manifest: Manifest, environment: string): DeployTarget {
  const settings: EnvironmentSettings | undefined = manifest.environments[environment];
  if (!settings) {
    throw InvalidInputError.line('airlock.yaml', `environment ${environment} is not in the manifest (known: ${Object.keys(manifest.environments).join(', ')})`);
  }
  return { service: manifest.service, environment, run: manifest.run, settings };
}

/** What a pipeline takes from its service's airlock.yaml, read once at the head commit (the readManifest activity). */
export interface ServiceSettings {
  /** `build:` of the manifest, for buildImage. */
  build: BuildSettings;
  /** The run settings and the pipeline environment's settings, for deployCandidate. */
  target: DeployTarget;
  /** `security:` of the manifest, for the runtime security stage (absent: not declared). */
  security?: SecuritySurface;
  /**
   * The environments the pipeline goes through (patch `promotion`: asked for with `promotion` in the
   * readManifest input); absent: a single-environment pipeline.
   */
  promotion?: PromotionPlan;
}

/**
 * The settings a pipeline deploying `service` to `environment` needs from a parsed manifest; a manifest
 * of another service, or without that environment, is bad input naming `source`.
 */
export function serviceSettingsOf(manifest: Manifest, service: string, environment: string, source: string): ServiceSettings {
  if (manifest.service !== service)
    throw new InvalidInputError(source, [
      `service: is ${manifest.service}, but the workflow input names ${service}: refused (a pipeline deploys the service its airlock.yaml names at the head commit)`,
    ]);
  if (!manifest.environments[environment])
    throw new InvalidInputError(source, [`environments: has no ${environment} (it has: ${Object.keys(manifest.environments).join(', ')})`]);
  return { build: manifest.build, target: deployTargetOf(manifest, environment), ...(manifest.security ? { security: manifest.security } : {}) };
}

import { z } from 'zod';
import { canaryAnalysisSchema, rolloutSchema, type CanaryAnalysisSettings, type RolloutSettings } from './manifest';
import { isSlug } from './names';
import type { CanaryVerdict } from './deploy';
import type { RiskLevel } from './risk';
import type { ApprovalRecord } from './approval-rules';
import type { PolicyOrigin } from './anchor';

// Input, live state and outcome of the deploymentPipeline workflow (workflows/pipeline.ts).
// Wire types: they are in workflow histories, so fields are only ever added (optional), never renamed.

const slug = z.string().refine(isSlug, 'must be a lowercase slug (letters, digits, dashes)');
/** A full git commit id (SHA-1 or SHA-256): every commit an input names. */
export const commitSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full git commit id (40 or 64 lowercase hex)');
const commit = commitSchema;
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the repository');

/**
 * deploymentPipeline's input: identifiers only (repository, service directory, environment, commits) and
 * trigger metadata. Anyone who can reach Temporal can start the workflow with any input, so nothing here
 * decides how a release is judged or rolled out: the service, build, rollout and canary analysis settings
 * come from airlock.yaml at the head commit, read by the worker (a `service` that does not match it is
 * refused), the policy from the repository at the base commit.
 */
export const pipelineInputSchema = z
  .object({
    service: slug,
    environment: slug,
    /** Repository URL the worker fetches the commits from into its own cache (an absolute path counts as its file:// URL). */
    repo: z.string().min(1),
    /** Directory of the service (airlock.yaml, Dockerfile) inside the repository. */
    serviceDir: relativePath.default('.'),
    baseCommit: commit,
    headCommit: commit,
    /**
     * The author the trigger claims (CI's actor, `--author`): recorded as claimed, and excluded from
     * approving besides every commit author of the judged range. Never trusted for anything else.
     */
    author: z.string().min(1).max(200),
    trigger: z.object({ ci: z.string().min(1).max(100), runUrl: z.url().optional() }).strict(),
    /** Path of airlock.policy.yaml in the repository; read at the BASE commit before patch `policy-anchor` (since: unused, the path comes from airlock.yaml at the anchor). */
    policyPath: relativePath.default('airlock.policy.yaml'),
    /**
     * Legacy (pipelines started before patch `input-identifiers`): the rollout and canary analysis settings
     * the trigger sent. Accepted so saved histories replay; `airlock trigger` no longer sends them and the
     * workflow ignores them, using airlock.yaml's settings at the head commit (the readManifest activity).
     */
    rollout: rolloutSchema.optional(),
    analysis: canaryAnalysisSchema.optional(),
  })
  .strict()
  .refine((i) => i.baseCommit !== i.headCommit, { message: 'head commit equals base commit: nothing to deploy', path: ['headCommit'] });
export type PipelineInput = z.output<typeof pipelineInputSchema>;

export const STAGES = [
  'change-analysis',
  'risk',
  'build',
  'scan',
  'policy',
  'lock',
  'approval',
  'deploy',
  'runtime-security',
  'analysis',
  'promote',
  'rollback',
  'done',
] as const;
export type Stage = (typeof STAGES)[number];

export const OUTCOMES = ['promoted', 'rolled_back', 'blocked_by_policy', 'rejected', 'expired', 'superseded', 'failed'] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

/** A failure as the workflow saw it: the ApplicationFailure type (an activities/errors.ts class name) and message. */
export interface FailureCause {
  type: string;
  message: string;
}

export type Outcome =
  | { kind: 'promoted'; releaseId: string; image: string }
  | { kind: 'rolled_back'; reason: string; step?: number; cause?: FailureCause }
  | { kind: 'blocked_by_policy'; violations: string[] }
  | { kind: 'rejected'; by: string; comment?: string }
  | { kind: 'expired'; afterMs: number }
  | { kind: 'superseded'; by: string }
  | { kind: 'failed'; stage: Stage; cause: FailureCause };

export interface PipelineResult {
  pipelineId: string;
  releaseId: string;
  outcome: Outcome;
  /** A promotion's per-environment progress (patch `promotion`); the outcome is the last environment reached. */
  promotion?: PromotionProgress;
}

/** Where one environment of a promotion stands. */
export type PromotionStatus = 'waiting' | 'running' | 'soaking' | 'passed' | 'failed' | 'not-reached';

/** A promotion's progress (patch `promotion`): one build through ordered environments (model/promotion.ts). */
export interface PromotionProgress {
  /** The release, one image for every environment: `<service>-<commit12>`. */
  release: string;
  /** Where the order, soaks and approval rules come from (airlock.yaml at the anchor, or at head without one). */
  from: string;
  /** What the change asked for that is weaker than the anchor and did not take effect. */
  ignored: string[];
  /** Index of the environment the pipeline is in (or stopped in). */
  current: number;
  /** The change's own risk level (`risk` in the state is the level whose rule applies in the current environment). */
  risk?: RiskLevel;
  environments: {
    environment: string;
    status: PromotionStatus;
    soak: string;
    /** The deployment's id in this environment's stack (`<service>-<env>-<commit12>`). */
    releaseId?: string;
    /** The risk level whose approval rule applied here (`approvals:` of the environment). */
    level?: RiskLevel;
    /** While soaking: when the soak ends. */
    soakUntil?: string;
    /** "Passed in <env>": when, and the image digest that passed. */
    passedAt?: string;
    digest?: string;
    /** How the environment ended, when it did not pass. */
    outcome?: OutcomeKind;
    /** Passed by an earlier pipeline of the same image (its signed rollout record): not deployed again. */
    skipped?: boolean;
  }[];
}

/** What the `state` query returns: enough for `airlock status` without reading the history. */
export interface PipelineState {
  pipelineId: string;
  /** Temporal run id of this run: approvals and aborts are signed over it (model/approval-rules.ts boundSubject). */
  runId?: string;
  /**
   * What the change analysis judged: the commit range and the digest of the protected policy. The one place
   * signed decisions take the range from.
   */
  judged?: { base: string; head: string; policyDigest: string };
  releaseId: string;
  service: string;
  environment: string;
  headCommit: string;
  author: string;
  stage: Stage;
  risk?: { score: number; level: RiskLevel; reasons: string[] };
  image?: string; // image@digest
  findings?: {
    vulnerabilities: Record<string, number>;
    secrets: number;
    misconfigurations: number;
    licenses: number;
    reportDigest: string;
  };
  policy?: { allowed: boolean; policyDigest: string; violations: string[] };
  /** The policy that judged the change and where it came from (from patch `policy-anchor` on). */
  anchor?: PolicyOrigin;
  approval?: { needed: number; require: string[]; groups: string[]; deadline?: string; decisions: ApprovalRecord[] };
  /**
   * The rollout and canary analysis the pipeline runs with, and where they come from: airlock.yaml at the
   * head commit (`from`: `airlock.yaml at <commit>`); `workflow input` only for pipelines started before
   * patch `input-identifiers`. Set after the change analysis.
   */
  rollout?: { from: string; rollout: RolloutSettings; analysis: CanaryAnalysisSettings };
  traffic: number;
  /** Set while a freeze window holds the rollout at its current traffic step (policy `freeze.duringRollout: hold`). */
  hold?: { window: string; since: string; until: string; traffic: number };
  analysis: CanaryVerdict[];
  /** The runtime security stage's result (patch `runtime-security`): per check, and the blocking findings. */
  runtimeSecurity?: { passed: boolean; checks: Record<string, string>; blocking: string[]; requests: number; durationMs: number };
  compensations: string[];
  /** the signed abort that stopped the pipeline (update `abortSigned`) */
  abort?: ApprovalRecord;
  /** unsigned `abort` signals, ignored since patch `signed-abort` (at most the first 20) */
  ignoredAborts?: { by: string; reason: string; at: string }[];
  outcome?: Outcome;
  /** A promotion's per-environment progress (patch `promotion`); `environment` is then the one it is in. */
  promotion?: PromotionProgress;
}

import type { BuildResult } from './build';
import type { EvidenceRequest, EvidenceVerdict, RecordedEvidence, VerifyEvidenceRequest } from './evidence-record';
import type { Anchor } from './anchor';
import type { CanaryVerdict, DeployedRelease, DeployTarget, LeaseToken, PipelineAdmission, ServiceSettings } from './deploy';
import type { CanaryAnalysisSettings, BuildSettings } from './manifest';
import type { PolicySnapshot } from './policy-snapshot';
import type { LoadedPolicy } from './policy';
import type { PolicyVerdict, WindowsRecheck } from './policy-verdict';
import type { RiskAssessment } from './risk';
import type { ScanSummary } from './scan';
import type { RuntimeSecurityInput, RuntimeSecurityReport } from './runtime-security';

// Every activity the deploymentPipeline workflow calls, by wire name. The real factories
// (activities/<stage>/) satisfy this interface; workflow tests mock it. Each input carries `releaseId`,
// the idempotency key: calling an activity twice with the same input must not repeat its side effect.
// Inputs and outputs are summaries and digests: full reports stay in the evidence store. What the
// pipeline reads from the repository (the base commit's policy, airlock.yaml at the head commit) is read
// once, in the change-analysis stage, and passed on to the stages that need it.

/** Identifies one release: service + env + head commit (model/names.ts releaseId). */
export interface ReleaseKey {
  releaseId: string;
}

/** A file of a repository at a commit. */
export interface RepoRef {
  repo: string;
  commit: string;
}

/** The policy file at a commit. */
export type PolicyRef = RepoRef & { path: string };

export interface ChangeSummary {
  files: number;
  additions: number;
  deletions: number;
  /** Author e-mails of every commit in base..head: none of them may approve the change. */
  authors: string[];
  /** The change touches the policy file (or airlock.yaml): always routed as high risk. */
  touchesGates: boolean;
  /** sha256 of the full change analysis, kept in the evidence store as evidence. */
  analysisDigest: string;
}

/** assessChange's answer: the change analyzed and scored in one activity (the full analysis stays on the worker). */
export interface ChangeAssessment {
  change: ChangeSummary;
  risk: RiskAssessment;
}

/** readBasePolicy's answer: the policy file, parsed, and the approval part of it the pipeline waits on. */
export interface BasePolicy {
  snapshot: PolicySnapshot;
  /** What evaluatePolicy evaluates; its `risk:` block is what assessChange scores with. */
  policy: LoadedPolicy;
}

/** readAnchorPolicy's answer: the policy that judges the pipeline, where it came from, the protected branch head is on. */
export interface AnchoredPolicy extends BasePolicy {
  /** The anchor commit (the stable release's), or `bootstrap` for a first release. */
  anchor: string;
  /** e.g. `git:<repo>@<anchor>:airlock.policy.yaml`, `bootstrap:<file on the worker>`. */
  source: string;
  /** The policy file's path in the repository (absent for a bootstrap): a change to it is a gate change. */
  path?: string;
  branch: string;
}

/**
 * readChange's input (patch `read-change-together`): what readAnchorPolicy, readManifest and assessChange
 * took, once. The judged range is anchor..head (a first release: git's empty tree..head).
 */
export interface ReadChangeInput extends TargetRef {
  repo: string;
  serviceDir: string;
  headCommit: string;
  /** The stable release's commit (resolveAnchor's answer); null: a first release. */
  anchor: string | null;
  /** readManifest's promotion plan request (patch `promotion`). */
  promotion?: { anchor: string | null };
}

/** readChange's answer: readAnchorPolicy's, readManifest's and assessChange's, from one activity. */
export interface ChangeReading extends ChangeAssessment {
  policy: AnchoredPolicy;
  settings: ServiceSettings;
}

/** The deploy target of a release. */
export interface TargetRef extends ReleaseKey {
  service: string;
  environment: string;
}

/** The lock holder an environment-changing activity acts for (patch `lock-lease`; model/deploy.ts leaseSchema). */
export interface Fenced {
  lease?: LeaseToken;
}

export interface PipelineActivities {
  /**
   * The policy file at `commit` (the workflow passes the BASE commit: the change under review cannot name
   * its own approvers, weights or gates), parsed once per pipeline.
   */
  readBasePolicy(input: ReleaseKey & PolicyRef): Promise<BasePolicy>;
  /**
   * What the environment runs now (its stable release and that release's commit; null: a first release).
   * Refuses (AnchorError) a head that does not descend from it. Pipelines from patch `policy-anchor` on.
   */
  resolveAnchor(input: TargetRef & { repo: string; headCommit: string }): Promise<Anchor>;
  /**
   * The policy at `anchor` (null: the worker's bootstrap file), never one the change or its trigger chose;
   * refuses (AnchorError) a head that is on none of the environment's protected branches.
   */
  readAnchorPolicy(input: ReleaseKey & { repo: string; serviceDir: string; environment: string; headCommit: string; anchor: string | null }): Promise<AnchoredPolicy>;
  /**
   * airlock.yaml of `serviceDir` at `commit` (the head), read once: it must name `service` (the workflow
   * input's, refused otherwise) and have `environment`. Its environment's rollout and canary analysis are
   * what the pipeline rolls out with (patch `input-identifiers`), never the input's.
   */
  /**
   * With `promotion` (patch `promotion`): also the promotion plan up to `environment`, its order, soaks and
   * approval rules from airlock.yaml at `promotion.anchor` (null: a first release, the head's).
   */
  readManifest(input: TargetRef & RepoRef & { serviceDir: string; promotion?: { anchor: string | null } }): Promise<ServiceSettings>;
  /**
   * Analyzes base..head (the full analysis goes to the evidence store) and scores its risk with
   * `riskPolicy`, the `risk:` block of the base commit's policy (absent: the built-in weights).
   */
  /** `policyPath`: the policy file's path in the repository (a change to it is a change to the gates). */
  assessChange(input: ReleaseKey & { repo: string; baseCommit: string; headCommit: string; policyPath?: string; riskPolicy?: unknown }): Promise<ChangeAssessment>;
  /**
   * The three reads above in one activity (one dispatch and one workflow task instead of three; patch
   * `read-change-together`): the policy at the anchor and airlock.yaml at head side by side, then the change
   * anchor..head assessed with that policy's path and `risk:` block.
   */
  readChange(input: ReadChangeInput): Promise<ChangeReading>;
  /**
   * Builds `serviceDir` at `commit` and pushes `<registry>/<service>:<releaseId>`; reuses an existing push.
   * `build` is airlock.yaml's build settings from readManifest (absent before patch `read-once`: read at `commit`).
   */
  buildImage(input: ReleaseKey & RepoRef & { service: string; serviceDir: string; build?: BuildSettings }): Promise<BuildResult>;
  /** `image` is pinned: `repo@sha256:...`. */
  scanImage(input: ReleaseKey & { image: string }): Promise<ScanSummary>;
  /** Gates, exceptions and freeze windows for `environment`: `policy` is the one readBasePolicy read (before patch `read-once`: where to read it). */
  evaluatePolicy(
    input: ReleaseKey & { environment: string; policy: LoadedPolicy | PolicyRef; scan: ScanSummary; risk: RiskAssessment },
  ): Promise<PolicyVerdict>;
  /**
   * Freeze windows and exception expiry again, by the worker's clock: `policy`, `scan` and `risk` are the
   * ones the gate judged (the workflow carries them). Called before the deploy and each traffic increase
   * (patch `recheck-windows`).
   */
  recheckWindows(input: ReleaseKey & { environment: string; policy: LoadedPolicy; scan: ScanSummary; risk: RiskAssessment }): Promise<WindowsRecheck>;
  /**
   * Creates the candidate's containers (no user traffic yet). `target` comes from readManifest (before
   * patch `read-once`: airlock.yaml is read at `commit`). `admit` (patch `verify-in-deploy`): first the
   * evidence chain is verified for the environment, as verifyEvidence does; a chain that does not verify
   * fails it (EvidenceNotVerifiedError) before anything is created.
   */
  deployCandidate(
    input: TargetRef & Fenced & { image: string; admit?: PipelineAdmission } & ({ target: DeployTarget } | (RepoRef & { serviceDir: string })),
  ): Promise<DeployedRelease>;
  /**
   * Sets the candidate's share of traffic, 0..100; 0 sends everything back to stable. The results of
   * shiftTraffic, promote and rollback are not read by the workflow: they are recorded in the history
   * (the audit trail) as returned, e.g. model/deploy.ts ShiftResult.
   */
  shiftTraffic(input: TargetRef & Fenced & { weight: number }): Promise<unknown>;
  /**
   * Probes the candidate alone (the router's preview port, loopback) before any traffic moves: authentication,
   * input validation, error handling, TLS and logging, judged by the policy's security_requirements and
   * exceptions (patch `runtime-security`). The workflow rolls back on a report that did not pass.
   */
  verifyRuntimeSecurity(input: RuntimeSecurityInput): Promise<RuntimeSecurityReport>;
  /**
   * One analysis run at the current weight: `settings.checks` measurements `settings.interval` apart. With
   * `shift: true` (patch `shift-in-analysis`) it first moves the candidate to `step` percent as shiftTraffic
   * does, fenced by `lease`, and the verdict's `traffic` records that move.
   */
  analyze(input: TargetRef & Fenced & { step: number; settings: CanaryAnalysisSettings; shift?: true }): Promise<CanaryVerdict>;
  /**
   * Candidate becomes stable: drain and destroy the previous release. With `settle: 'later'` (patch
   * `settle-after-promote`) it stops once the traffic is final and settleRelease destroys the old release.
   */
  promote(input: TargetRef & Fenced & { settle?: 'later' }): Promise<unknown>;
  /** After promote with `settle: 'later'`: the stack update that destroys the old release and records the promotion. */
  settleRelease(input: TargetRef & Fenced): Promise<unknown>;
  /** Traffic to stable, destroy the candidate. Idempotent: nothing deployed is a no-op. */
  rollback(input: TargetRef & Fenced & { reason: string }): Promise<unknown>;
  /** Signs a link of the release's evidence chain with the worker's key and pushes it next to the image (docs/evidence.md). */
  recordEvidence(input: EvidenceRequest): Promise<RecordedEvidence>;
  /** The image's chain from the registry, verified for an environment: EvidenceNotVerifiedError when a link does not hold. */
  verifyEvidence(input: VerifyEvidenceRequest): Promise<EvidenceVerdict>;

  // Pipelines started before patch `read-once` call these; they stay registered until the patch is
  // deprecated (workflows/change-analysis.ts).
  /** Approvers, levels and timeout of the policy file at `commit`: readBasePolicy's snapshot. */
  readPolicySnapshot(input: ReleaseKey & PolicyRef): Promise<PolicySnapshot>;
  /** The change analyzed into the evidence store; serviceDir and policyPath are not used. */
  analyzeChange(
    input: ReleaseKey & { repo: string; baseCommit: string; headCommit: string; serviceDir: string; policyPath: string },
  ): Promise<ChangeSummary>;
  /** Reads the analysis back from the evidence store and the policy's weights at `baseCommit`. */
  scoreRisk(
    input: ReleaseKey & { repo: string; baseCommit: string; headCommit: string; policyPath: string; analysisDigest: string },
  ): Promise<RiskAssessment>;
}

export type PipelineActivityName = keyof PipelineActivities;

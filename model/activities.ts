import type { BuildResult } from './build';
import type { AnalysisVerdict, DeployedRelease } from './deploy';
import type { AnalysisSettings } from './manifest';
import type { PolicySnapshot } from './policy-snapshot';
import type { PolicyVerdict } from './policy-verdict';
import type { RiskAssessment } from './risk';
import type { ScanSummary } from './scan';

// Every activity the deploymentPipeline workflow calls, by wire name. The real factories
// (activities/<stage>/) satisfy this interface; workflow tests mock it. Each input carries `releaseId`,
// the idempotency key: calling an activity twice with the same input must not repeat its side effect.
// Inputs and outputs are summaries and digests: full reports stay in the evidence store.

/** Identifies one release: service + env + head commit (model/names.ts releaseId). */
export interface ReleaseKey {
  releaseId: string;
}

/** A file of a repository at a commit. */
export interface RepoRef {
  repo: string;
  commit: string;
}

export interface ChangeSummary {
  files: number;
  additions: number;
  deletions: number;
  /** Author e-mails of every commit in base..head: none of them may approve the change. */
  authors: string[];
  /** The change touches the policy file (or airlock.yaml): always routed as high risk. */
  touchesGates: boolean;
  /** sha256 of the full change analysis in the evidence store (what scoreRisk reads). */
  analysisDigest: string;
}

/** The deploy target of a release. */
export interface TargetRef extends ReleaseKey {
  service: string;
  environment: string;
}

export interface PipelineActivities {
  /** Approvers, levels and timeout from the BASE commit's policy file (or the configured protected copy). */
  readPolicySnapshot(input: ReleaseKey & RepoRef & { path: string }): Promise<PolicySnapshot>;
  analyzeChange(
    input: ReleaseKey & { repo: string; baseCommit: string; headCommit: string; serviceDir: string; policyPath: string },
  ): Promise<ChangeSummary>;
  /** Weights and path rules come from the BASE commit's policy file, like the snapshot. */
  scoreRisk(
    input: ReleaseKey & { repo: string; baseCommit: string; headCommit: string; policyPath: string; analysisDigest: string },
  ): Promise<RiskAssessment>;
  /** Builds `serviceDir` at `commit` and pushes `<registry>/<service>:<releaseId>`; reuses an existing push. */
  buildImage(input: ReleaseKey & RepoRef & { service: string; serviceDir: string }): Promise<BuildResult>;
  /** `image` is pinned: `repo@sha256:...`. */
  scanImage(input: ReleaseKey & { image: string }): Promise<ScanSummary>;
  /** The policy (gates, exceptions, freeze windows for `environment`) is read at `policy.commit`. */
  evaluatePolicy(
    input: ReleaseKey & { environment: string; policy: RepoRef & { path: string }; scan: ScanSummary; risk: RiskAssessment },
  ): Promise<PolicyVerdict>;
  /** Creates the candidate's containers (no user traffic yet). Reads the manifest at `commit`. */
  deployCandidate(input: TargetRef & RepoRef & { serviceDir: string; image: string }): Promise<DeployedRelease>;
  /**
   * Sets the candidate's share of traffic, 0..100; 0 sends everything back to stable. The results of
   * shiftTraffic, promote and rollback are not read by the workflow: they are recorded in the history
   * (the audit trail) as returned, e.g. model/deploy.ts ShiftResult.
   */
  shiftTraffic(input: TargetRef & { weight: number }): Promise<unknown>;
  /** One analysis run at the current weight: `settings.checks` measurements `settings.interval` apart. */
  analyze(input: TargetRef & { step: number; settings: AnalysisSettings }): Promise<AnalysisVerdict>;
  /** Candidate becomes stable: drain and destroy the previous release. */
  promote(input: TargetRef): Promise<unknown>;
  /** Traffic to stable, destroy the candidate. Idempotent: nothing deployed is a no-op. */
  rollback(input: TargetRef & { reason: string }): Promise<unknown>;
}

export type PipelineActivityName = keyof PipelineActivities;

import type { PolicyOrigin } from './anchor';
import type { BreakGlassInput, ChainResult, FlagChangeInput, LinkName, RescanInput, RolloutInput } from './evidence';
import type { PipelineState } from './pipeline';
import type { LevelRule, PolicySnapshot } from './policy-snapshot';
import type { PolicyVerdict } from './policy-verdict';
import type { ScanSummary } from './scan';

// Wire types of the evidence activities (activities/evidence/record.ts): what the workflows send to have a
// link of a release's chain signed and pushed, and to have the chain verified before a deploy. Types only.

export interface EvidenceCommon {
  /** The release (the activities' idempotency key, model/activities.ts). */
  releaseId: string;
  /** repo@sha256:... (in the configured registry) */
  image: string;
  pipelineId: string;
  runId: string;
}

export type EvidenceRequest = EvidenceCommon &
  (
    | {
        link: 'build';
        /** The repository URL the worker fetched. */
        repo: string;
        commit: string;
        serviceDir: string;
        /** sha256 of airlock.yaml at the commit: the worker reads it (the pipeline's adapter). */
        manifestDigest?: string;
        startedOn: string;
        finishedOn: string;
      }
    | { link: 'scan'; scan: ScanSummary; startedOn: string; finishedOn: string }
    | { link: 'policy'; environment: string; verdict: PolicyVerdict; origin: PolicyOrigin; snapshot: PolicySnapshot }
    | { link: 'approvals'; state: PipelineState; rule: LevelRule; authors: string[] }
    | ({ link: 'rollout' } & RolloutInput)
    | ({ link: 'break-glass' } & BreakGlassInput)
    | ({ link: 'rescan' } & Pick<RescanInput, 'status' | 'statusDigest' | 'scan'>)
    | ({ link: 'flag' } & FlagChangeInput)
  );

export interface RecordedEvidence {
  links: LinkName[];
  /** How many envelopes this call added (0: a retry, every link was there). */
  added: number;
  /** The `.att` manifest holding them. */
  manifestDigest: string;
  /** Digests of the envelopes in the evidence store. */
  stored: string[];
}

export interface VerifyEvidenceRequest {
  releaseId: string;
  image: string;
  /** The environment the image is to be deployed to: the chain's policy verdict and approvals must be for it. */
  environment: string;
  /** The policy's `evidence.trustedKeys` (PEM); absent or empty: this worker's own key. */
  trustedKeys?: string[];
  /** Promotion: the chain must also hold a `promoted` rollout record of this (the previous) environment. */
  passedIn?: string;
  /** A question, not an admission: answer a chain that does not verify (`ok: false`) instead of failing. */
  check?: boolean;
}

/** verifyEvidence's answer: every link with its result (the history keeps it). */
export type EvidenceVerdict = ChainResult;

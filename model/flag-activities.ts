import type { FlagApprovalRecord, FlagRisk } from './flag-approval';
import type { PolicySnapshot } from './policy-snapshot';
import type { FlagDefinition, FlagKillSignature, FlagRecord, FlagThresholds, VariantVerdict } from './flag-rules';

// Wire types of the flag workflows and activities (issue 18). Fields are only ever added.

/** Where an environment's flags are defined: the newest promoted pipeline's repository and head. */
export interface FlagAnchor {
  pipelineId: string;
  repo: string;
  commit: string;
  serviceDir: string;
  policyPath: string;
  /** The release that pipeline promoted (what serves): flag changes are recorded in its evidence chain. */
  image?: string;
  releaseId?: string;
}

export interface FlagSource {
  anchor: FlagAnchor;
  definition: FlagDefinition;
  routerPort: number;
  /** The code the flag guards, judged by path (files naming the flag key); absent: judged low. */
  risk?: FlagRisk;
  /** The thresholds of the environment's protected policy (`flags.thresholds`, defaults filled in); absent: a worker before them. */
  thresholds?: FlagThresholds;
}

export interface FlagRef {
  service: string;
  environment: string;
  flag: string;
}

export interface SetFlagShareInput extends FlagRef {
  definition: FlagDefinition;
  share: number;
  fresh: boolean;
  /** When the rollout began (its workflow's start, ISO): a kill made since then stops even its first write. */
  startedAt?: string;
}

export interface KillFlagInput extends FlagRef {
  by: string;
  reason: string;
}

export interface AnalyzeFlagInput extends FlagRef {
  routerPort: number;
  windowMs: number;
  /** Synthetic requests per second (each with a random user id) through the router during the window; 0: none. */
  loadRps: number;
  /** The path the synthetic users ask (where the service evaluates the flag): the definition's metadata `path`, else `/`. */
  loadPath: string;
  /** The share set for this step: airlock computes each synthetic user's variant itself (flagd's bucketing). */
  share?: number;
  thresholds: FlagThresholds;
}

/** `airlock flag rollout`: identifiers and steps only; the definition and thresholds come from the worker's reads. */
export interface FlagRolloutInput extends FlagRef {
  steps: number[];
  /** Who asked (the CLI's user): recorded, not trusted. */
  requestedBy?: string;
  /** Analysis window per step (ms) and synthetic load; bounded in the workflow. */
  windowMs?: number;
  loadRps?: number;
}

export type FlagRolloutOutcome =
  | { kind: 'completed'; share: 100 }
  | { kind: 'killed'; step: number; share: number; reason: string; by: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'failed'; cause: { type: string; message: string } };

export interface FlagRolloutState extends FlagRef {
  stage: 'approval' | 'lock' | 'rollout' | 'done';
  /** Set once the definition is read: what the flag guards, and the commit it was read at (approvals sign both). */
  risk?: FlagRisk;
  commit?: string;
  runId?: string;
  approvals?: FlagApprovalRecord[];
  /** Approvals the level needs (0: none). */
  approvalsNeeded?: number;
  share: number;
  steps: number[];
  /** What the steps are judged by: the protected policy's `flags.thresholds` (patch flag-policy-thresholds), else the defaults. */
  thresholds?: FlagThresholds;
  analysis: (VariantVerdict & { step: number; share: number })[];
  outcome?: FlagRolloutOutcome;
  /** The change's record in the serving release's evidence chain (patch flag-evidence). */
  evidence?: { image?: string; recorded: boolean };
}

export interface FlagKillInput extends FlagRef, FlagKillSignature {
  reason: string;
}

export type FlagKillResult = { kind: 'killed'; record: FlagRecord; evidence?: { image?: string; recorded: boolean } } | { kind: 'refused'; reason: string };

export interface FlagActivities {
  loadFlagSource(input: FlagRef): Promise<FlagSource>;
  setFlagShare(input: SetFlagShareInput): Promise<FlagRecord>;
  killFlag(input: KillFlagInput): Promise<FlagRecord>;
  analyzeFlag(input: AnalyzeFlagInput): Promise<VariantVerdict>;
  /** A kill's signers: the approvers of the environment's protected policy, without reading the flag file (quick). */
  killApprovers(input: FlagRef): Promise<Record<string, { id: string; publicKey: string }[]>>;
  /** The environment's protected policy (approver groups and level rules) at the anchor. */
  readFlagPolicy(input: FlagAnchor): Promise<PolicySnapshot>;
  /** Where the environment's flags are defined and which release serves it (a kill records itself there). */
  flagAnchor(input: FlagRef): Promise<FlagAnchor>;
}

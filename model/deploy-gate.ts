// `airlock deploy` and the gate (issue 11, item 6): what the worker found about an image, and how a
// deploy passed. Wire types: in deployRelease histories, fields are only ever added.

/** findGateRecord's input: the image's digest for one environment, and the deploy asking. */
export interface GateRecordInput {
  service: string;
  environment: string;
  /** sha256:<64 hex> */
  imageDigest: string;
  /** The asking deploy workflow: other runs under its id are counted (a break-glass id is single-use). */
  workflowId: string;
  runId: string;
}

/** What Temporal says, read by the worker from its own task queue's pipelines (never from the CLI). */
export interface GateRecord {
  /** A pipeline of this environment that ended `promoted` with this digest: it passed scan, policy and approvals. */
  passed?: { pipelineId: string; runId: string; releaseId: string };
  /** Where the environment's policy is read: the newest promoted pipeline's repository, head commit and policy path. */
  anchor?: { pipelineId: string; repo: string; commit: string; path: string };
  /** Other runs that used the asking workflow id before. */
  priorRuns: number;
  /**
   * Set when a rescan of the service found this digest non-compliant in an environment whose policy says
   * `compliance.onViolation: block-promotion` (docs/compliance.md): why the image may not be deployed.
   */
  nonCompliant?: string;
}

/** How a deploy got past the gate; recorded in its outcome (and so its history). */
export type GatePass =
  | { kind: 'gate-passed'; pipelineId: string }
  /** Since patch `deploy-release-evidence`: the image's evidence chain verified for the environment (its links). */
  | { kind: 'evidence-verified'; links: string[] }
  | { kind: 'break-glass'; reason: string; signers: string[]; group: string; expiresAt: string; policyDigest: string; policySource: string };

/** `airlock-break-glass/<service>/<env>/<nonce>`: the id break-glass signatures bind, started with REJECT_DUPLICATE. */
export function breakGlassWorkflowId(service: string, environment: string, nonce: string): string {
  return `airlock-break-glass/${service}/${environment}/${nonce}`;
}

/** The digest of a pinned image reference (`repo@sha256:...`). */
export const digestOfImage = (image: string): string => image.slice(image.lastIndexOf('@') + 1);

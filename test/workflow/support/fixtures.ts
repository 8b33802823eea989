import { boundSubject, publicKeyOf, signApproval, type Approval, type Decision } from '../../../model/approval';
import type { PipelineInput, PipelineState } from '../../../model/pipeline';
import type { PolicySnapshot } from '../../../model/policy-snapshot';

// People, keys, policy snapshot and inputs for the workflow tests. Keys are fixed so histories are stable.

export const PEOPLE = {
  dana: { key: 'd1'.repeat(32), groups: ['dev'] }, // the author in every test
  alice: { key: 'a1'.repeat(32), groups: ['dev'] },
  bob: { key: 'b1'.repeat(32), groups: ['dev'] },
  sam: { key: '5a'.repeat(32), groups: ['security'] },
  olga: { key: '0a'.repeat(32), groups: ['ops'] },
} as const;
export type Person = keyof typeof PEOPLE;

export const AUTHOR = 'dana';

export function snapshot(overrides: Partial<PolicySnapshot> = {}): PolicySnapshot {
  const groups: PolicySnapshot['groups'] = {};
  for (const [id, p] of Object.entries(PEOPLE))
    for (const g of p.groups) (groups[g] ??= []).push({ id, publicKey: publicKeyOf(p.key), aliases: id === 'dana' ? ['dana@example.com'] : [] });
  return {
    source: 'git:/repos/shop@base:airlock.policy.yaml',
    policyDigest: 'sha256:' + 'ab'.repeat(32),
    groups,
    levels: {
      low: { approvals: 0, groups: [], require: [] },
      medium: { approvals: 1, groups: ['dev', 'security'], require: [] },
      high: { approvals: 2, groups: ['dev', 'security'], require: ['security'] },
    },
    approvalTimeoutMs: 10 * 60_000,
    ...overrides,
  };
}

let counter = 0;
/** A distinct full commit id per call (tests in one file share a server). */
export function commit(): string {
  counter += 1;
  return (Date.now().toString(16) + counter.toString(16).padStart(6, '0')).padEnd(40, 'c');
}

export function input(overrides: Partial<PipelineInput> = {}): PipelineInput {
  return {
    service: 'shop',
    environment: 'prod',
    repo: '/repos/shop',
    serviceDir: '.',
    baseCommit: 'b'.repeat(40),
    headCommit: commit(),
    author: AUTHOR,
    trigger: { ci: 'github-actions', runUrl: 'https://ci.example.com/runs/1' },
    policyPath: 'airlock.policy.yaml',
    // identifiers only, as `airlock trigger` sends them: the rollout settings come from airlock.yaml (readManifest)
    ...overrides,
  };
}

/** What `airlock approve` sends: signed with the person's key over the bound subject of the pipeline's state. */
export function signed(person: Person, state: PipelineState, decision: Decision, signer: Person = person): Approval {
  return { approver: person, signature: signApproval(PEOPLE[signer].key, boundSubject(state, state.runId!, decision)) };
}

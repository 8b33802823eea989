import type { z } from 'zod';
import { APPROVALS_TYPE, approvalsPredicateSchema } from './approvals';
import { BREAK_GLASS_TYPE, breakGlassPredicateSchema } from './break-glass';
import { SLSA_PROVENANCE_TYPE, buildPredicateSchema } from './build';
import { POLICY_VERDICT_TYPE, policyVerdictPredicateSchema } from './policy-verdict';
import { FLAG_TYPE, flagPredicateSchema } from './flag';
import { RESCAN_TYPE, rescanPredicateSchema } from './rescan';
import { ROLLOUT_TYPE, rolloutPredicateSchema } from './rollout';
import { CYCLONEDX_TYPE, sbomPredicateSchema } from './sbom';
import { COSIGN_VULN_TYPE, vulnPredicateSchema } from './vuln';

export * from './approvals';
export * from './break-glass';
export * from './build';
export * from './flag';
export * from './policy-verdict';
export * from './rescan';
export * from './rollout';
export * from './sbom';
export * from './vuln';

/** The links of a release's chain, by the name `airlock verify` prints. */
export const LINKS = {
  build: { predicateType: SLSA_PROVENANCE_TYPE, schema: buildPredicateSchema },
  sbom: { predicateType: CYCLONEDX_TYPE, schema: sbomPredicateSchema },
  vuln: { predicateType: COSIGN_VULN_TYPE, schema: vulnPredicateSchema },
  policy: { predicateType: POLICY_VERDICT_TYPE, schema: policyVerdictPredicateSchema },
  approvals: { predicateType: APPROVALS_TYPE, schema: approvalsPredicateSchema },
  rollout: { predicateType: ROLLOUT_TYPE, schema: rolloutPredicateSchema },
  'break-glass': { predicateType: BREAK_GLASS_TYPE, schema: breakGlassPredicateSchema },
  rescan: { predicateType: RESCAN_TYPE, schema: rescanPredicateSchema },
  flag: { predicateType: FLAG_TYPE, schema: flagPredicateSchema },
} as const satisfies Record<string, { predicateType: string; schema: z.ZodType }>;
export type LinkName = keyof typeof LINKS;

/** Every release has these before its first deploy; rollout records are added per environment after, rescan records per scheduled rescan, flag records per flag change while it serves. */
export const REQUIRED_LINKS: readonly LinkName[] = ['build', 'sbom', 'vuln', 'policy', 'approvals'];

export function linkOf(predicateType: string): LinkName | undefined {
  return (Object.keys(LINKS) as LinkName[]).find((name) => LINKS[name].predicateType === predicateType);
}

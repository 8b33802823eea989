import { Context } from '@temporalio/activity';
import type { ComplianceStatus, RescanTarget } from '../../model/compliance';
import type { LoadedPolicy } from '../../model/policy';
import type { ScanSummary } from '../../model/scan';
import { putEvidence } from '../evidence/store';
import { withFailures } from '../errors';
import { assessCompliance } from './assess';
import { upsertRescanSchedule, type ScheduleDeps, type ScheduledRescan } from './schedule';

export { assessCompliance } from './assess';
export { RESCAN_WORKFLOW, rescanTargetSchema, upsertRescanSchedule, type ScheduledRescan } from './schedule';

/** What the rescan workflow and the pipeline call (wire names); workflows import the type only. */
export interface ComplianceActivities {
  /** Creates or replaces the environment's rescan schedule for the release it now runs (compliance.rescanEvery of `policy`). */
  scheduleRescan(input: { target: RescanTarget; policy: LoadedPolicy }): Promise<ScheduledRescan>;
  /** The compliance decision for a rescan's result; the status is kept in the evidence store too. */
  assessCompliance(input: { target: RescanTarget; scan: ScanSummary; policy: LoadedPolicy }): Promise<Omit<ComplianceStatus, 'action'> & { statusDigest: string }>;
}

export interface ComplianceDeps extends ScheduleDeps {
  /** The worker's evidence store directory. */
  evidenceDir: string;
  now?: () => Date;
}

export function createComplianceActivities(deps: ComplianceDeps): ComplianceActivities {
  return {
    scheduleRescan: withFailures(async ({ target, policy }) => {
      const scheduled = await upsertRescanSchedule(deps, target, policy.policy.compliance);
      Context.current().log.info('rescan scheduled', { ...scheduled, releaseId: target.releaseId });
      return scheduled;
    }),
    assessCompliance: withFailures(async (input) => {
      const status = assessCompliance(input, (deps.now ?? (() => new Date()))());
      const statusDigest = await putEvidence(deps.evidenceDir, JSON.stringify(status));
      Context.current().log.info('compliance assessed', { releaseId: status.releaseId, compliant: status.compliant, findings: status.findings.length, statusDigest });
      return { ...status, statusDigest };
    }),
  };
}

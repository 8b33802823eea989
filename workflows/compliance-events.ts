import { log } from '@temporalio/workflow';
import type { ComplianceStatus, ExpiringException } from '../model/compliance';

// The alerts a rescan raises, in one place: release.noncompliant and exception.expiring. They go out
// through the notifications of the policy (issue 16's notify(), CloudEvents webhooks) once that is merged;
// until then they are structured warnings in the worker's log and listed in the rescan's result.

export interface ComplianceEvent {
  type: 'release.noncompliant' | 'exception.expiring';
  subject: string;
  data: Record<string, unknown>;
}

export function nonCompliantEvent(status: ComplianceStatus): ComplianceEvent {
  return {
    type: 'release.noncompliant',
    subject: `${status.service}/${status.environment}`,
    data: { releaseId: status.releaseId, image: status.image, findings: status.findings, onViolation: status.onViolation, scannedAt: status.scannedAt, dbUpdatedAt: status.dbUpdatedAt },
  };
}

export function expiringEvent(status: Pick<ComplianceStatus, 'service' | 'environment' | 'releaseId'>, e: ExpiringException): ComplianceEvent {
  return { type: 'exception.expiring', subject: `${status.service}/${status.environment}`, data: { releaseId: status.releaseId, exception: e.id, owner: e.owner, expires: e.expires, daysLeft: e.daysLeft } };
}

/** Sends one event (the single wiring point for notifications). */
export async function emit(event: ComplianceEvent): Promise<void> {
  log.warn(`compliance event ${event.type}`, { subject: event.subject, ...event.data });
  return Promise.resolve();
}

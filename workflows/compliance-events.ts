import { log } from '@temporalio/workflow';
import type { ComplianceStatus, ExpiringException } from '../model/compliance';
import type { Webhook } from '../model/notifications';
import { notify } from './notify';

// The alerts a rescan raises, in one place: release.noncompliant and exception.expiring, sent to the
// webhooks of the environment's protected policy that want them (notify(): CloudEvents, durable delivery),
// and logged by the worker as structured warnings.

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

/** Sends one event; `n` tells repeated events of one type in one rescan apart (the idempotency id). An alert that cannot be sent is logged. */
export async function emit(webhooks: readonly Webhook[] | undefined, event: ComplianceEvent, n = 0): Promise<void> {
  log.warn(`compliance event ${event.type}`, { subject: event.subject, ...event.data });
  try {
    await notify(webhooks, { ...event, n });
  } catch (err) {
    log.warn('the compliance alert was not sent', { type: event.type, error: String(err) });
  }
}

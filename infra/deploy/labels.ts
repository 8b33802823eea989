/** Docker labels on everything a deploy creates, so `docker ps` can be compared with the stack's state. */
export const LABELS = {
  managed: 'airlock.managed',
  service: 'airlock.service',
  env: 'airlock.env',
  stack: 'airlock.stack',
  release: 'airlock.release',
  role: 'airlock.role',
} as const;

export type ResourceRole = 'release' | 'router' | 'network';

export function labelsFor(service: string, environment: string, stack: string, role: ResourceRole, releaseId?: string): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.service]: service,
    [LABELS.env]: environment,
    [LABELS.stack]: stack,
    [LABELS.role]: role,
    ...(releaseId ? { [LABELS.release]: releaseId } : {}),
  };
}

// Zod-free (workflow code imports it), like model/names.ts.

/** The per-(service, env) lock workflow's id: one deployment at a time per environment. */
export function lockWorkflowId(service: string, environment: string): string {
  return `airlock-lock/${service}/${environment}`;
}

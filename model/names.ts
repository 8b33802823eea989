// Names that are on the wire or on disk: changing one breaks running pipelines, saved histories or stacks.

export const TASK_QUEUE = 'airlock';

/** Custom search attributes airlock registers on the Temporal namespace (all Keyword). */
export const SEARCH_ATTRIBUTES = [
  'AirlockService',
  'AirlockEnvironment',
  'AirlockStage',
  'AirlockRiskLevel',
  'AirlockOutcome',
  'AirlockCommit',
  'AirlockAuthor',
] as const;
export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[number];

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const isSlug = (s: string): boolean => SLUG.test(s);

/** `airlock/<service>/<env>/<headCommit>`: re-triggering the same commit attaches to the same pipeline. */
export function pipelineId(service: string, environment: string, headCommit: string): string {
  return `airlock/${service}/${environment}/${headCommit}`;
}

/** The per-(service, env) lock workflow's id: one deployment at a time per environment. */
export function lockWorkflowId(service: string, environment: string): string {
  return `airlock-lock/${service}/${environment}`;
}

/** Release id: derived from service, env and commit, never from the clock. Short enough for a docker tag. */
export function releaseId(service: string, environment: string, headCommit: string): string {
  return `${service}-${environment}-${headCommit.slice(0, 12)}`;
}

/** Pulumi stack and docker resource prefix for one (service, env). */
export function stackName(service: string, environment: string): string {
  return `${service}-${environment}`;
}

/** git's empty tree (SHA-1 repositories): the base of a first release's judged range, the whole tree at head. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

import { z } from 'zod';

/** What CI systems tell a job about itself, read from their documented environment variables. */
export interface CiContext {
  ci: string;
  sha?: string;
  before?: string;
  ref?: string;
  actor?: string;
  runUrl?: string;
}

const opt = z.string().min(1).optional();
const ciEnvSchema = z.object({
  GITHUB_ACTIONS: opt,
  GITHUB_SHA: opt,
  GITHUB_REF: opt,
  GITHUB_ACTOR: opt,
  GITHUB_SERVER_URL: opt,
  GITHUB_REPOSITORY: opt,
  GITHUB_RUN_ID: opt,
  GITLAB_CI: opt,
  CI_COMMIT_SHA: opt,
  CI_COMMIT_BEFORE_SHA: opt,
  CI_COMMIT_REF_NAME: opt,
  GITLAB_USER_LOGIN: opt,
  CI_JOB_URL: opt,
});

/** GitHub Actions, GitLab CI, or `local` (a person at a terminal). Pure: the env is passed in. */
export function ciContext(env: Record<string, string | undefined>): CiContext {
  const e = ciEnvSchema.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v)));
  if (e.GITHUB_ACTIONS === 'true') {
    const runUrl = e.GITHUB_SERVER_URL && e.GITHUB_REPOSITORY && e.GITHUB_RUN_ID ? `${e.GITHUB_SERVER_URL}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}` : undefined;
    return { ci: 'github-actions', sha: e.GITHUB_SHA, ref: e.GITHUB_REF, actor: e.GITHUB_ACTOR, runUrl };
  }
  if (e.GITLAB_CI === 'true') {
    const before = e.CI_COMMIT_BEFORE_SHA && !/^0+$/.test(e.CI_COMMIT_BEFORE_SHA) ? e.CI_COMMIT_BEFORE_SHA : undefined;
    return { ci: 'gitlab-ci', sha: e.CI_COMMIT_SHA, before, ref: e.CI_COMMIT_REF_NAME, actor: e.GITLAB_USER_LOGIN, runUrl: e.CI_JOB_URL };
  }
  return { ci: 'local' };
}

import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { join } from 'node:path';
import type { FlagAnchor, FlagSource } from '../../model/flag-activities';
import { FLAGS_FILE, parseFlagdFile, rolloutProblems } from '../../model/flags';
import { isSlug } from '../../model/names';
import { InvalidInputError } from '../../model/parse';
import type { PipelineInput, PipelineResult } from '../../model/pipeline';
import { riskPolicySchema, type RiskPolicy } from '../../model/change';
import { flagThresholdsOf } from '../../model/flag-policy';
import { issueLines } from '../../model/parse';
import type { Policy } from '../../model/policy';
import { flagRiskOf, type FlagRisk } from '../../model/flag-approval';
import { AnchorError, GitError } from '../errors';
import { pathClassifier } from '../risk';
import { gitRaw, pathInRepo, readAtCommit, serviceSettingsAtCommit } from '../shared';

/**
 * Where an environment's flags are defined: the head of the newest pipeline of the environment that ended
 * `promoted` on this worker's task queue (the code the environment runs passed the gate with this file in
 * it). Read by the worker with its own client; nothing of it comes from the caller.
 */
export async function findFlagAnchor(client: Client, taskQueue: string, service: string, environment: string, byRun: Map<string, FlagAnchor> = new Map()): Promise<FlagAnchor> {
  if (!isSlug(service) || !isSlug(environment)) throw InvalidInputError.line('flag input', 'service and environment must be lowercase slugs');
  const query = [
    `WorkflowType = 'deploymentPipeline'`,
    `TaskQueue = '${taskQueue}'`,
    `ExecutionStatus = 'Completed'`,
    `AirlockService = '${service}'`,
    `AirlockEnvironment = '${environment}'`,
    `AirlockOutcome = 'promoted'`,
  ].join(' AND ');
  const promoted: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query })) {
    promoted.push(wf);
    if (promoted.length >= 50) break;
  }
  promoted.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  const newest = promoted[0];
  if (!newest) throw new AnchorError(`no pipeline of ${service}/${environment} was promoted yet: flags are read from the code the environment runs`);
  // a run's input never changes: remembered by run id (a kill must be quick)
  const known = byRun.get(newest.runId);
  if (known) return known;
  const history = await client.workflow.getHandle(newest.workflowId, newest.runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload ? (defaultPayloadConverter.fromPayload(payload as never) as PipelineInput) : undefined;
  if (!input) throw new AnchorError(`the input of ${newest.workflowId} cannot be read`);
  // the release it promoted: a flag change is recorded in that image's evidence chain
  const completed = history.events?.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  const result = completed ? (defaultPayloadConverter.fromPayload(completed as never) as PipelineResult | undefined) : undefined;
  const release = result?.outcome?.kind === 'promoted' ? { image: result.outcome.image, releaseId: result.outcome.releaseId } : {};
  const anchor = { pipelineId: newest.workflowId, repo: input.repo, commit: input.headCommit, serviceDir: input.serviceDir, policyPath: input.policyPath, ...release };
  if (byRun.size > 1000) byRun.clear();
  byRun.set(newest.runId, anchor);
  return anchor;
}

/**
 * The flag's definition (flags.flagd.json beside airlock.yaml at the anchor), the environment's router port,
 * and from the environment's protected policy (read at the same anchor, `policy`): the path rules that judge
 * the code the flag guards (its `risk:` block) and the thresholds of its `flags:` block.
 */
export async function readFlagSource(repoDir: string, anchor: FlagAnchor, service: string, environment: string, flag: string, policy: Pick<Policy, 'risk' | 'flags'> = {}): Promise<FlagSource> {
  const dir = await pathInRepo(repoDir, anchor.serviceDir);
  const path = join(dir, FLAGS_FILE);
  const source = `${FLAGS_FILE} at ${anchor.commit.slice(0, 12)}`;
  const text = await readAtCommit(repoDir, anchor.commit, path);
  if (!text) throw InvalidInputError.line(source, `(root): ${path} does not exist at ${anchor.commit}`);
  const file = parseFlagdFile(text.toString('utf8'), source);
  const problems = rolloutProblems(file, flag);
  if (problems.length) throw new InvalidInputError(source, problems);
  const settings = await serviceSettingsAtCommit(repoDir, anchor.commit, anchor.serviceDir, service, environment);
  const risk = await flagRisk(repoDir, anchor.commit, dir, flag, path, riskPolicyOf(policy.risk, anchor));
  return { anchor, definition: file.flags[flag]!, routerPort: settings.target.settings.routerPort, risk, thresholds: flagThresholdsOf(policy.flags) };
}

/** The `risk:` block of the protected policy as the risk engine reads it (absent: its defaults). */
function riskPolicyOf(raw: unknown, anchor: FlagAnchor): RiskPolicy {
  const parsed = riskPolicySchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`${anchor.policyPath} at ${anchor.commit.slice(0, 12)}`, issueLines(parsed.error).map((l) => `risk.${l}`));
  return parsed.data;
}

/** Not code the flag guards: the definitions themselves, vendored packages. */
const NOT_GUARDED = /(^|\/)(node_modules|vendor)\//;

/**
 * The code the flag guards: files of the service directory at `commit` that name the flag key as a string
 * literal, judged by the risk engine's path categories with the protected policy's path rules (`riskPolicy`,
 * its `risk.paths`; the engine's defaults where the policy has none).
 */
export async function flagRisk(repoDir: string, commit: string, dir: string, flag: string, flagsFile: string, riskPolicy: RiskPolicy = riskPolicySchema.parse(undefined)): Promise<FlagRisk> {
  const literals = ['"', "'", '`'].flatMap((q) => ['-e', `${q}${flag}${q}`]);
  const scope = dir ? `:(top)${dir}` : ':(top)';
  const r = await gitRaw(repoDir, ['grep', '-l', '-I', '-F', ...literals, commit, '--', scope]);
  if (r.code !== 0 && r.code !== 1) throw new GitError(`git grep for flag ${flag} at ${commit} failed: ${r.stderr.toString().trim()}`);
  const classify = pathClassifier(riskPolicy);
  const files = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(commit.length + 1))
    .filter((file) => file !== flagsFile && !NOT_GUARDED.test(file));
  return flagRiskOf(files.map((file) => ({ file, categories: [...classify(file)].filter((c) => c !== 'code') })));
}

export const currentTaskQueue = (): string => Context.current().info.taskQueue;

import type { Client, WorkflowHandle } from '@temporalio/client';
import { boundSubject, signApproval } from '../../model/approval';
import type { OutcomeKind, PipelineResult, PipelineState } from '../../model/pipeline';
import { deploymentPipeline, pipelineStartOptions } from '../../workflows';
import { approveUpdate } from '../../workflows/messages';
import type { AirlockConfig } from '../../infra/config';
import { readKey } from '../keys';
import { progress } from '../output';
import { ciContext } from '../pipeline/ci-context';
import { describeOutcome } from '../pipeline/exit-code';
import { followPipeline } from '../pipeline/follow';
import { pipelineInputFor } from '../pipeline/input';
import { DEMO_PEOPLE, type DemoRepo } from './repo';

/** Where the demo's changes go: through `promotion: [staging, production]` of its airlock.yaml. */
export const DEMO_ENV = 'production';
export const DEMO_ENVIRONMENTS = ['staging', 'production'];

export interface Scenario {
  title: string;
  expect: OutcomeKind;
  /** Makes the change in the repo; the demo commits it. */
  change(repo: DemoRepo): string;
  /** Deploys the repository's head as it is (no change, no commit): the first release. */
  deployHead?: boolean;
}

export interface ScenarioRun {
  title: string;
  pipelineId: string;
  risk: string;
  outcome: OutcomeKind;
  expected: OutcomeKind;
  leadTimeMs: number;
  detail: string;
  /** Each environment of the promotion and where the release got: `staging passed, production failed`. */
  environments: string;
}

/** No stable release yet: judged high, approved by the worker's bootstrap approvers (`airlock dev up` wrote them). */
export const FIRST_RELEASE: Scenario = {
  title: '0. first release (bootstrap)',
  expect: 'promoted',
  change: () => 'demo-service: first release',
  deployHead: true,
};

export const SCENARIOS: Scenario[] = [
  {
    title: '1. docs change',
    expect: 'promoted',
    change: (repo) => {
      repo.edit('README.md', (t) => `${t}\n## Operating notes\n\nThe service answers on / and reports its version on /version.\n`);
      return 'docs: operating notes';
    },
  },
  {
    title: '2. new endpoint',
    expect: 'promoted',
    change: (repo) => {
      repo.edit('server.js', (t) => {
        const anchor = "  if (path === '/version')";
        if (!t.includes(anchor)) throw new Error('demo scenario 2: the /version route of server.js was not found');
        return t.replace(anchor, `  if (path === '/hello') return done(200, { hello: new URL(req.url || '/', 'http://x').searchParams.get('name') || 'world' });\n${anchor}`);
      });
      repo.edit('release.js', (t) => t.replace(/version: '[^']+'/, "version: '1.1.0'"));
      return 'feat: GET /hello endpoint';
    },
  },
  {
    title: '3. bad release',
    expect: 'rolled_back',
    change: (repo) => {
      repo.edit('release.js', (t) => t.replace(/version: '[^']+'/, "version: '1.2.0'").replace(/fault: '[^']+'/, "fault: 'errors'"));
      return 'perf: new request path (secretly fails 30% of requests)';
    },
  },
  {
    title: '4. planted secret',
    expect: 'blocked_by_policy',
    change: (repo) => {
      repo.edit('server.js', (t) => `// temporary: call the GitHub API for release notes\nconst GITHUB_TOKEN = 'ghp_kDOmnf3SZt6dQWWPxiWYXzZ2DL9zzkarWJEw';\n${t}`);
      return 'feat: release notes from GitHub';
    },
  },
  {
    title: '5. auth check dropped',
    expect: 'rolled_back',
    change: (repo) => {
      // A real code change: the token check of GET /api/entries is gone. The risk engine scores it high
      // (authorization code removed); the runtime security stage then finds the endpoint open.
      repo.edit('api.js', (t) => {
        const without = t.replace(/^\s*if \(fault !== 'no-auth' && !authorized\(req\)\).*\n/m, '');
        if (without === t) throw new Error('demo scenario 5: the token check of api.js was not found');
        return without;
      });
      repo.edit('release.js', (t) => t.replace(/version: '[^']+'/, "version: '1.3.0'"));
      return 'refactor: simpler entries handler (forgets the token check)';
    },
  },
];

/** The demo's approvers: approve whatever waits for them, as a person reading the evidence would. */
function demoApprovers(client: Client, config: AirlockConfig, handle: WorkflowHandle) {
  const done = new Set<string>();
  return async (state: PipelineState) => {
    const a = state.approval;
    if (state.stage !== 'approval' || !a || a.needed === 0 || !state.image) return;
    const approvers = a.require.includes('security') ? [DEMO_PEOPLE.security, DEMO_PEOPLE.approver] : [DEMO_PEOPLE.approver];
    for (const who of approvers.slice(0, a.needed)) {
      // a promotion asks again in each environment: an approval is signed for one environment
      if (done.has(`${state.environment}:${who}`)) continue;
      done.add(`${state.environment}:${who}`);
      const signature = signApproval(readKey(config.dirs.keys, who), boundSubject(state, state.runId ?? (await handle.describe()).runId, 'approve'));
      progress(`          ${who} reviews risk ${state.risk?.level} (${state.risk?.reasons.slice(0, 2).join('; ')}) and approves for ${state.environment}`);
      await handle.executeUpdate(approveUpdate, { args: [{ approver: who, signature, comment: 'demo: evidence reviewed' }] });
    }
  };
}

/** Commits the scenario's change and runs its pipeline to the end, as `airlock trigger --wait` would. */
export async function runScenario(client: Client, config: AirlockConfig, repo: DemoRepo, s: Scenario): Promise<ScenarioRun> {
  const message = s.deployHead ? 'the repository as it is' : s.change(repo);
  const commit = s.deployHead ? repo.head() : repo.commit(message);
  progress(`\n== ${s.title}: "${message}" (${commit.slice(0, 12)})`);
  const started = Date.now();
  const input = await pipelineInputFor({ repo: repo.dir, env: DEMO_ENV, commit }, { ...ciContext({}), ci: 'airlock-demo' });
  const handle = await client.workflow.start(deploymentPipeline, pipelineStartOptions(input, config.temporal.taskQueue));
  progress(`   pipeline ${handle.workflowId}`);
  const result: PipelineResult = await followPipeline(handle, { onState: demoApprovers(client, config, handle) });
  const state = await handle.query<PipelineState>('state');
  return {
    title: s.title,
    pipelineId: handle.workflowId,
    // a promotion's state.risk is the level applied in the environment it ended in: show the change's own
    risk: state.risk ? `${state.promotion?.risk ?? state.risk.level} (${state.risk.score})` : '-',
    outcome: result.outcome.kind,
    expected: s.expect,
    leadTimeMs: Date.now() - started,
    detail: describeOutcome(result.outcome),
    environments: state.promotion ? state.promotion.environments.map((e) => `${e.environment} ${e.status}`).join(', ') : state.environment,
  };
}

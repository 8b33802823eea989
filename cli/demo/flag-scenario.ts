import http from 'node:http';
import type { Client } from '@temporalio/client';
import type { FlagRolloutOutcome, FlagRolloutState } from '../../model/flag-activities';
import { DEFAULT_FLAG_STEPS, flagRolloutWorkflowId } from '../../model/flag-rules';
import { flagRolloutStateQuery } from '../../workflows/flag-messages';
import { flagRollout } from '../../workflows/flag-rollout';
import type { AirlockConfig } from '../../infra/config';
import { progress } from '../output';
import { DEMO_PEOPLE, type DemoRepo } from './repo';

// The demo's flag scenario (issue 18): the new checkout flow of examples/demo-service (server.js, /checkout)
// shipped dark in the first release, behind `new-checkout` (flags.flagd.json: default `off`), then rolled out
// by the `flagRollout` workflow exactly as `airlock flag rollout demo new-checkout --env production --wait`
// starts it. Its `on` variant fails one checkout in five: the kill switch turns it off for everyone.

export interface FlagScenario {
  title: string;
  flag: string;
  steps: number[];
  windowMs: number;
  loadRps: number;
  /** What the summary expects, as describeFlagOutcome says it: `killed at 25%`. */
  expect: string;
}

export const FLAG_SCENARIO: FlagScenario = {
  title: '6. new checkout flow behind a flag',
  flag: 'new-checkout',
  steps: [...DEFAULT_FLAG_STEPS],
  // 20 synthetic users a second for 3 s a window: 60 requests, 15 of them on `on` at 25%
  windowMs: 3000,
  loadRps: 20,
  expect: 'killed at 25%',
};

/**
 * The demo policy's `flags:` block (model/flag-policy.ts), added to the demo repository's policy before its
 * first commit: a window is judged on 40 `on` requests (it fails a step from 10 on): at 1% and 5% of 60
 * requests a window sees too few (the next step judges), at 25% enough.
 */
export const DEMO_FLAG_POLICY = `# feature flags (docs/flags.md): what a flag rollout judges the on variant by
flags:
  thresholds: { maxErrorRate: 0.02, maxDeniedRate: 0.05, maxDegradation: 0.02, minRequests: 40 }
`;

export const addDemoFlagPolicy = (repo: DemoRepo): void => repo.edit('airlock.policy.yaml', (t) => `${t}${DEMO_FLAG_POLICY}`);

/** `killed at 25%`, `fully on`, `refused`, `failed`: the summary's outcome of a flag rollout. */
export function describeFlagOutcome(o: FlagRolloutOutcome): string {
  switch (o.kind) {
    case 'completed':
      return 'fully on';
    case 'killed':
      return `killed at ${o.share}%`;
    case 'refused':
      return 'refused';
    case 'failed':
      return 'failed';
  }
}

export function flagOutcomeDetail(o: FlagRolloutOutcome): string {
  switch (o.kind) {
    case 'completed':
      return 'on for everyone (100%)';
    case 'killed':
      return `killed by ${o.by} at step ${o.step} (${o.share}%): ${o.reason}`;
    case 'refused':
      return `refused: ${o.reason}`;
    case 'failed':
      return `failed: ${o.cause.type}: ${o.cause.message}`;
  }
}

/** What `users` get on `path` of the environment's router: how many were served the new checkout flow. */
async function newFlowUsers(port: number, users: string[]): Promise<number> {
  const served = await Promise.all(
    users.map(
      (user) =>
        new Promise<boolean>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/checkout', headers: { 'x-user-id': user }, timeout: 3000 }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(body.includes('"checkout":"new"')));
          });
          req.on('error', () => resolve(false));
          req.on('timeout', () => req.destroy());
        }),
    ),
  );
  return served.filter(Boolean).length;
}

export interface FlagScenarioRun {
  title: string;
  workflowId: string;
  risk: string;
  outcome: string;
  expected: string;
  leadTimeMs: number;
  detail: string;
}

/** Rolls the flag out in `environment` (the router on `routerPort`) and follows it to its outcome. */
export async function runFlagScenario(client: Client, config: AirlockConfig, environment: string, routerPort: number, s: FlagScenario = FLAG_SCENARIO): Promise<FlagScenarioRun> {
  const workflowId = flagRolloutWorkflowId('demo', environment, s.flag);
  progress(`\n== ${s.title}: "airlock flag rollout demo ${s.flag} --env ${environment} --steps ${s.steps.join(',')} --window ${s.windowMs / 1000} --rps ${s.loadRps} --wait"`);
  const users = Array.from({ length: 40 }, (_, i) => `demo-user-${i}`);
  progress(`   shipped dark: ${await newFlowUsers(routerPort, users)} of ${users.length} users are served the new checkout flow`);
  const started = Date.now();
  const handle = await client.workflow.start(flagRollout, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ service: 'demo', environment, flag: s.flag, steps: s.steps, requestedBy: DEMO_PEOPLE.author.email, windowMs: s.windowMs, loadRps: s.loadRps }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  progress(`   flag rollout ${workflowId}`);
  // the steps as they are judged (the state query), like `airlock flag status`
  let shown = 0;
  const show = (state: FlagRolloutState | undefined) => {
    for (const a of state?.analysis.slice(shown) ?? [])
      progress(
        `   [${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] step ${a.step} ${String(a.share).padStart(3)}%  ${a.verdict.padEnd(12)} on ${a.on.requests} req ${a.on.errors} 5xx | off ${a.off.requests} req ${a.off.errors} 5xx${a.reasons.length ? `  ${a.reasons.join('; ')}` : ''}`,
      );
    shown = state?.analysis.length ?? shown;
  };
  const result = handle.result();
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    show(await handle.query(flagRolloutStateQuery).catch(() => undefined));
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  const outcome: FlagRolloutOutcome = await result;
  const state = await handle.query(flagRolloutStateQuery).catch(() => undefined);
  show(state);
  progress(`   ${users.length} users after the rollout: ${await newFlowUsers(routerPort, users)} served the new checkout flow`);
  return {
    title: s.title,
    workflowId,
    risk: state?.risk ? `flag ${state.risk.level}` : '-',
    outcome: describeFlagOutcome(outcome),
    expected: s.expect,
    leadTimeMs: Date.now() - started,
    detail: flagOutcomeDetail(outcome),
  };
}

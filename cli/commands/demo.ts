import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { publicKeyOf } from '../../model/approval';
import { createActivities } from '../../activities';
import { loadConfig } from '../../infra/config';
import { createStackDriver } from '../../infra/deploy/stack';
import { createAirlockWorker, installRuntime } from '../../worker/worker';
import { workflowSource } from '../../worker/workflow-source';
import { parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { DEMO_ENV, DEMO_ENVIRONMENTS, FIRST_RELEASE, runScenario, SCENARIOS, type ScenarioRun } from '../demo/scenarios';
import { endLeftovers } from '../demo/leftovers';
import { DEMO_PEOPLE, DemoRepo } from '../demo/repo';
import { addDemoFlagPolicy, FLAG_SCENARIO, runFlagScenario } from '../demo/flag-scenario';
import { serviceSettingsAtCommit } from '../../activities/shared';
import { EXIT, ExitError } from '../errors';
import { buildTimeline } from '../history/timeline';
import { renderTimeline } from '../history/render';
import { buildFlagTimeline, renderFlagTimeline } from '../history/flag-timeline';
import { createKey, keyFile, readKey } from '../keys';
import { progress, table } from '../output';
import { renderChain, trustedPems, verifyImage } from './verify';
import type { PipelineResult } from '../../model/pipeline';
import { bringUp } from './dev';

/** The demo service's name (examples/demo-service/airlock.yaml). */
const SERVICE = 'demo';

const keyFor = (dir: string, who: string) => (existsSync(keyFile(dir, who)) ? publicKeyOf(readKey(dir, who)) : createKey(dir, who));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the main job: set up the local stack, run six pipelines end to end (staging -> production) and a flag rollout',
  usage: `usage: airlock demo [--skip-bootstrap]

Sets up the local stack (airlock dev up), starts a worker, makes a git repository from
examples/demo-service (its flag packages vendored) and runs its first release and five changes through
its promotion, staging then ${DEMO_ENV} (both reset first: a new repository starts a new history there;
pipelines and locks an interrupted earlier demo left running there are ended):
  0. first release        bootstrap: high risk, the worker's bootstrap approvers (sam, alice) sign
  1. a docs change        low risk, automatic approval, staging, soak, production canary, promoted
  2. a new endpoint       medium risk, alice signs for production, promoted
  3. a bad release        30% errors: caught in staging by the analysis, rolled back there
  4. a planted secret     Trivy finds it, blocked by policy
  5. auth check dropped   high risk; runtime security finds the endpoint open in staging, rolled back
  6. a flag rollout       in ${DEMO_ENV}: the new checkout flow, shipped dark behind new-checkout (off), rolled
                          out 1/5/25/50/100%; its on variant fails 1 checkout in 5: killed at 25%, off for everyone
then prints a summary, the audit history of the approved pipeline, its release's evidence chain (with the
flag rollout's record) and the flag rollout's history. Re-running it works.`,
  async run(argv) {
    const args = parseCommandArgs('demo', argv, { 'skip-bootstrap': { type: 'boolean', default: false } }, z.object({ 'skip-bootstrap': z.boolean(), positionals: z.array(z.string()).max(0) }));
    // The demo's scenarios are judged with the fixture vulnerability DB (offline, known findings), its
    // worker runs in this process: set here, not left to the default (Trivy's real DB).
    process.env.AIRLOCK_TRIVY_DB = 'fixture';
    const config = loadConfig();
    progress('== vulnerability DB: fixture (the demo\'s; a real worker uses Trivy\'s DB, AIRLOCK_TRIVY_DB=online)');
    progress('== setting up the local stack (airlock dev up)');
    await bringUp(config, { bootstrap: !args['skip-bootstrap'] });

    const keys = { alice: keyFor(config.dirs.keys, DEMO_PEOPLE.approver), sam: keyFor(config.dirs.keys, DEMO_PEOPLE.security) };
    const runDir = join(config.home, 'demo', new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(runDir, { recursive: true });
    // the service carries its flag packages (OpenFeature, flagd provider: examples/demo-service/vendor), so its
    // flags are real; the policy's `flags:` block sets what the flag scenario's rollout is judged by
    const repo = DemoRepo.create(join(runDir, 'demo-service'), keys, { vendor: true, prepare: addDemoFlagPolicy });
    progress(`== demo repository ${repo.dir} (author ${DEMO_PEOPLE.author.email}; approvers ${DEMO_PEOPLE.approver} [developers], ${DEMO_PEOPLE.security} [security])`);

    // The environment's stable release came from an earlier demo repository: its commit is not in this one,
    // so the pipeline could not judge stable..head. Start the environment over: its first release is a bootstrap.
    const ended = await withClient((client) => endLeftovers(client, SERVICE, DEMO_ENVIRONMENTS, 'airlock demo: left running by an earlier, interrupted demo'), config);
    for (const id of ended) progress(`== ended ${id}, left running by an earlier demo`);
    for (const environment of DEMO_ENVIRONMENTS) {
      progress(`== resetting ${SERVICE}/${environment} (a new demo repository starts a new history)`);
      await createStackDriver(config).destroy(SERVICE, environment).catch((err: Error) => progress(`   (nothing to reset: ${err.message.split('\n')[0]})`));
    }

    installRuntime({ logLevel: 'warn' });
    const worker = await createAirlockWorker(config, workflowSource(), createActivities(config));
    const runs: (Pick<ScenarioRun, 'title' | 'pipelineId' | 'risk' | 'leadTimeMs' | 'detail' | 'environments'> & { outcome: string; expected: string })[] = [];
    await worker.runUntil(
      withClient(async (client) => {
        let lastGood = repo.head();
        for (const scenario of [FIRST_RELEASE, ...SCENARIOS]) {
          const run = await runScenario(client, config, repo, scenario);
          runs.push(run);
          progress(`   -> ${run.detail} in ${(run.leadTimeMs / 1000).toFixed(1)}s`);
          if (run.outcome === 'promoted') lastGood = repo.head();
          else repo.resetTo(lastGood); // the next change starts from what runs in production
        }
        // the new checkout flow, shipped dark in the first release, rolled out by flag (issue 18)
        const { routerPort } = (await serviceSettingsAtCommit(repo.dir, repo.head(), '.', SERVICE, DEMO_ENV)).target.settings;
        const flagRun = await runFlagScenario(client, config, DEMO_ENV, routerPort, FLAG_SCENARIO);
        runs.push({ ...flagRun, pipelineId: flagRun.workflowId, environments: DEMO_ENV });
        progress(`   -> ${flagRun.detail} in ${(flagRun.leadTimeMs / 1000).toFixed(1)}s`);
        progress('\n== summary');
        process.stdout.write(
          `${table(
            ['pipeline', 'change', 'risk', 'environments', 'outcome', 'expected', 'lead time'],
            runs.map((r) => [r.pipelineId, r.title, r.risk, r.environments, r.outcome, r.expected, `${(r.leadTimeMs / 1000).toFixed(1)}s`]),
          )}\n`,
        );
        const approved = runs[2]!; // the new endpoint
        progress(`\n== airlock history ${approved.pipelineId}`);
        const history = await client.workflow.getHandle(approved.pipelineId).fetchHistory();
        process.stdout.write(`${renderTimeline(buildTimeline(approved.pipelineId, history.events ?? []))}\n`);
        // the release's signed evidence chain, as anyone would check it (docs/evidence.md)
        const result = (await client.workflow.getHandle(approved.pipelineId).result()) as PipelineResult;
        if (result.outcome.kind === 'promoted') {
          const image = result.outcome.image;
          progress(`\n== airlock verify ${image} --env ${DEMO_ENV}`);
          const { result: chain } = await verifyImage(image, { env: DEMO_ENV, pems: await trustedPems(undefined, config.dirs.keys), registry: config.registry });
          process.stdout.write(`${renderChain(image, chain)}\n`);
          if (!chain.ok) throw new ExitError(EXIT.failure, `demo: the evidence chain of ${image} does not verify: ${chain.firstBroken?.reason}`);
        }
        // the flag rollout's audit view (its flag link is in the chain above: that release served while it ran)
        progress(`\n== airlock history ${flagRun.workflowId}`);
        const flagHistory = await client.workflow.getHandle(flagRun.workflowId).fetchHistory();
        process.stdout.write(`${renderFlagTimeline(buildFlagTimeline(flagRun.workflowId, flagHistory.events ?? []))}\n`);
      }, config),
    );
    const wrong = runs.filter((r) => r.outcome !== r.expected);
    if (wrong.length) throw new ExitError(EXIT.failure, `demo: ${wrong.map((r) => `${r.title} ended ${r.outcome}, expected ${r.expected} (${r.detail})`).join('; ')}`);
    progress('\ndemo complete: every pipeline and the flag rollout ended as expected');
  },
};

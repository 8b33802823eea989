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
import { DEMO_PEOPLE, DemoRepo } from '../demo/repo';
import { EXIT, ExitError } from '../errors';
import { buildTimeline } from '../history/timeline';
import { renderTimeline } from '../history/render';
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
  summary: 'the main job: set up the local stack and run four pipelines end to end',
  usage: `usage: airlock demo [--skip-bootstrap]

Sets up the local stack (airlock dev up), starts a worker, makes a git repository from
examples/demo-service and runs its first release and four changes through the pipeline to the
${DEMO_ENV} environment (reset first: a new repository starts a new history there):
  0. first release        bootstrap: high risk, the worker's bootstrap approvers (sam, alice) sign
  1. a docs change        low risk, automatic approval, canary, promoted
  2. a new endpoint       medium risk, waits for an approver (alice signs), promoted
  3. a bad release        canary analysis sees 30% errors, rolled back automatically
  4. a planted secret     Trivy finds it, blocked by policy
then prints a summary and the audit history of the approved pipeline. Re-running it works.`,
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
    const repo = DemoRepo.create(join(runDir, 'demo-service'), keys);
    progress(`== demo repository ${repo.dir} (author ${DEMO_PEOPLE.author.email}; approvers ${DEMO_PEOPLE.approver} [developers], ${DEMO_PEOPLE.security} [security])`);

    // The environment's stable release came from an earlier demo repository: its commit is not in this one,
    // so the pipeline could not judge stable..head. Start the environment over: its first release is a bootstrap.
    for (const environment of DEMO_ENVIRONMENTS) {
      progress(`== resetting ${SERVICE}/${environment} (a new demo repository starts a new history)`);
      await createStackDriver(config).destroy(SERVICE, environment).catch((err: Error) => progress(`   (nothing to reset: ${err.message.split('\n')[0]})`));
    }

    installRuntime({ logLevel: 'warn' });
    const worker = await createAirlockWorker(config, workflowSource(), createActivities(config));
    const runs: ScenarioRun[] = [];
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
      }, config),
    );
    const wrong = runs.filter((r) => r.outcome !== r.expected);
    if (wrong.length) throw new ExitError(EXIT.failure, `demo: ${wrong.map((r) => `${r.title} ended ${r.outcome}, expected ${r.expected} (${r.detail})`).join('; ')}`);
    progress('\ndemo complete: every pipeline ended as expected');
  },
};

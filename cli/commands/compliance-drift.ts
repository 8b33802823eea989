import { z } from 'zod';
import { deployedEnvironments } from '../../activities/drift/schedule';
import { dockerClient } from '../../infra/local/probes';
import type { DriftCheckResult } from '../../model/drift';
import { driftScheduleId } from '../../model/drift';
import { driftCheck } from '../../workflows/drift-check';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { printJson, progress, table } from '../output';

const options = { service: { type: 'string' }, env: { type: 'string' }, reconcile: { type: 'boolean', default: false }, ...jsonFlag } as const;
const schema = z.object({
  service: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  reconcile: z.boolean(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

/**
 * `airlock compliance drift`: runs the drift check of each deployed environment now (the same workflow its
 * schedule runs, on the worker), prints what differs. Exit 0 without drift (or all of it reconciled), 3 with drift left.
 */
export const complianceDriftCommand: Command = {
  name: 'compliance drift',
  summary: "compare each environment's recorded state with what runs (and reconcile)",
  usage: `usage: airlock compliance drift [--service <service>] [--env <env>] [--reconcile] [--json]

Runs the drift check of every deployed environment (or the ones named) now on the worker: the Pulumi
state (release containers and images, router servers and weights) against docker and the router's
runtime API. --reconcile brings reality back to the recorded state under the environment lock, whatever
the policy's compliance.onDrift says. Drift is alerted (drift.detected) to the policy's webhooks.
Exit 0: no drift left; 3: drift left.`,
  async run(argv) {
    const args = parseCommandArgs('compliance drift', argv, options, schema);
    await withClient(async (client, config) => {
      const envs = (await deployedEnvironments(dockerClient(config))).filter((e) => (!args.service || e.service === args.service) && (!args.env || e.environment === args.env));
      if (args.service && args.env && !envs.length) envs.push({ service: args.service, environment: args.env });
      const results: DriftCheckResult[] = [];
      for (const e of envs) {
        // its own id (not the schedule's): a scheduled check running now does not swallow this request
        const workflowId = `${driftScheduleId(e.service, e.environment)}/cli-${Date.now()}`;
        if (!args.json) progress(`checking ${e.service}/${e.environment}${args.reconcile ? ' (reconcile)' : ''}`);
        results.push(await client.workflow.execute(driftCheck, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ service: e.service, environment: e.environment, reconcile: args.reconcile }] }));
      }
      const left = (r: DriftCheckResult) => (r.reconciled ? (r.remaining ?? []) : r.drift);
      if (args.json) printJson(results);
      else if (!results.length) progress('no deployed environment found');
      else {
        const rows = results.flatMap((r) => (r.drift.length ? r.drift.map((d) => [`${r.service}/${r.environment}`, d.kind, d.resource, d.detail, r.reconciled && !left(r).some((x) => x.resource === d.resource) ? 'reconciled' : 'open']) : [[`${r.service}/${r.environment}`, r.deployed ? 'no drift' : 'not deployed', '', '', '']]));
        process.stdout.write(`${table(['environment', 'drift', 'resource', 'detail', 'status'], rows)}\n`);
      }
      if (results.some((r) => left(r).length > 0)) throw new ExitError(EXIT.blockedByPolicy, 'drift left: see above');
    });
  },
};

/** `airlock compliance <sub>`: only `drift` so far (the compliance report is another command's). */
export const complianceDriftDispatch: Command = {
  name: 'compliance',
  summary: 'continuous compliance: `compliance drift` checks (and reconciles) drift',
  usage: complianceDriftCommand.usage,
  async run(argv) {
    if (argv[0] !== 'drift') throw new ExitError(EXIT.badInput, `usage: airlock compliance drift [--service <s>] [--env <e>] [--reconcile] [--json]`);
    await complianceDriftCommand.run(argv.slice(1));
  },
};

import { z } from 'zod';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { badInput } from '../errors';
import { ciContext } from '../pipeline/ci-context';
import { pipelineInputFor } from '../pipeline/input';
import { startPipelineOf, type TriggerDeps } from './trigger';

const options = {
  to: { type: 'string' },
  repo: { type: 'string' },
  'repo-url': { type: 'string' },
  'service-dir': { type: 'string' },
  author: { type: 'string' },
  wait: { type: 'boolean', default: false },
  ...jsonFlag,
} as const;

const RELEASE = /^([a-z0-9][a-z0-9-]*)-([0-9a-f]{12})$/;

const schema = z.object({
  to: z.string({ message: 'is required: the environment to promote the release to' }).min(1),
  repo: z.string().min(1).default('.'),
  'repo-url': z.string().min(1).optional(),
  'service-dir': z.string().min(1).optional(),
  author: z.string().min(1).optional(),
  wait: z.boolean(),
  json: z.boolean(),
  positionals: z.tuple([z.string().min(1), z.string().regex(RELEASE, 'must be a release id <service>-<commit12>, as `airlock status` shows it')], {
    message: 'expected <service> <release>',
  }),
});

export const promoteReleaseCommand: Command = {
  name: 'promote-release',
  summary: 'promote an already verified release (one build) to a later environment of its promotion',
  usage: `usage: airlock promote-release <service> <release> --to <env> [--repo <dir>] [--repo-url <url>]
                               [--service-dir <subdir>] [--author <id>] [--wait] [--json]

<release> is <service>-<commit12> (one image per commit). Starts the commit's pipeline to --to: the image
is not built again (the registry has it, with its build provenance), every environment before --to that
it passed already (a signed, promoted rollout record in its evidence chain) is skipped, and --to itself
is judged as always: its policy gate, lock, approvals, rollout, analysis and soak. An environment it has
not passed runs first. Exit codes as \`trigger --wait\`.`,
  run: (argv) => runPromoteRelease(argv),
};

export async function runPromoteRelease(argv: string[], deps: TriggerDeps = { withClient: (fn) => withClient(fn), env: process.env }): Promise<void> {
  const args = parseCommandArgs('promote-release', argv, options, schema);
  const [service, release] = args.positionals;
  const [, releaseService, commit12] = RELEASE.exec(release)!;
  if (releaseService !== service) throw badInput(`<release>: ${release} is not a release of ${service} (releases are <service>-<commit12>)`);
  const input = await pipelineInputFor(
    { repo: args.repo, repoUrl: args['repo-url'], ...(args['service-dir'] ? { serviceDir: args['service-dir'] } : {}), to: args.to, commit: commit12!, ...(args.author ? { author: args.author } : {}) },
    ciContext(deps.env),
  );
  if (input.service !== service) throw badInput(`<service>: airlock.yaml at ${commit12} names ${input.service}, not ${service}`);
  await startPipelineOf(input, args, deps);
}

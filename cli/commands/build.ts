import { resolve } from 'node:path';
import { z } from 'zod';
import { buildImage } from '../../activities/build';
import { gitRoot, pathInRepo, lineLogger } from '../../activities/shared';
import { dockerClient } from '../../infra/local/probes';
import { pinned } from '../../model/build';
import { loadConfig } from '../../infra/config';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { printJson, progress } from '../output';

const usage = `usage: airlock build --service-dir <dir> [--repo <git dir>] [--commit <rev>] [--env <name>] [--json]

Builds the service's image from exactly the committed tree at <rev> (default HEAD; uncommitted files never
reach the image), labels it (source, revision, release id), tags it <registry>/<service>:<release id>,
pushes it and prints {image, digest, releaseId, sizeBytes, durationMs}. The release id comes from the
service, --env (default: the manifest's first environment) and the commit; building it again returns
the pushed digest without rebuilding.

  --service-dir  the directory holding airlock.yaml
  --repo         the git repository (default: the one containing --service-dir)
  --commit       revision to build (default: HEAD)
  --env          environment the release is for (part of the release id)
  --json         print the result as JSON (progress stays on stderr)`;

const schema = z.object({
  'service-dir': z.string({ error: 'is required (the directory holding airlock.yaml)' }).min(1),
  repo: z.string().min(1).optional(),
  commit: z.string().min(1).default('HEAD'),
  env: z.string().min(1).optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

export const buildCommand: Command = {
  name: 'build',
  summary: 'build and push a service image from a commit (prints image@digest)',
  usage,
  async run(argv) {
    const args = parseCommandArgs(
      'build',
      argv,
      { 'service-dir': { type: 'string' }, repo: { type: 'string' }, commit: { type: 'string' }, env: { type: 'string' }, ...jsonFlag },
      schema,
    );
    const config = loadConfig();
    const serviceDir = resolve(args['service-dir']);
    const repo = args.repo ? resolve(args.repo) : await gitRoot(serviceDir);
    const result = await buildImage(
      { docker: dockerClient(config), registry: config.registry, log: lineLogger(progress, config.logLevel) },
      { repo, serviceDir: await pathInRepo(repo, serviceDir), commit: args.commit, ...(args.env ? { environment: args.env } : {}) },
      { heartbeat: (d) => progress(`  ${String(d.step ?? d.phase)}`) },
    );
    if (args.json) printJson({ ...result, pinned: pinned(result.image, result.digest) });
    else process.stdout.write(`${pinned(result.image, result.digest)}\n`);
  },
};

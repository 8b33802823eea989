import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { z } from 'zod';
import { containerLogs, runProbes } from '../../activities/probe';
import { loadPolicy } from '../../activities/policy';
import { loadManifest } from '../../activities/shared/manifest';
import type { SecurityRequirements } from '../../model/policy';
import type { RuntimeSecurityReport } from '../../model/runtime-security';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError, badInput } from '../errors';
import { printJson, progress, table } from '../output';

const usage = `usage: airlock probe --service-dir <dir> --url <base> [--policy <file>] [--container <name>]... [--json]

Runs the runtime security stage's probes by hand against a running service (docs/runtime-security.md):
the endpoints airlock.yaml declares under security.endpoints are sent requests without credentials, with a
malformed bearer token and an expired JWT (auth: required), and malformed inputs (wrong types, oversized
and unexpected bodies, injection strings); answers are checked for 2xx without credentials, 5xx or hangs
on bad input, stack traces, file paths and version banners. Loopback URLs only.

  --service-dir <dir>   the service directory (its airlock.yaml declares the endpoints)
  --url <base>          where the service answers, e.g. http://127.0.0.1:18080 (http or https)
  --policy <file>       the policy whose security_requirements and exceptions judge the findings
                        (default: <dir>/airlock.policy.yaml when present, else every check required)
  --container <name>    a container of the service: its logs must show each probe and no token (repeatable;
                        without it logging is not checked)
  --json                print the report as JSON

Exit 0 passed, 3 blocking findings, 2 bad input (no security.endpoints, a non-loopback URL).`;

const options = {
  'service-dir': { type: 'string' },
  url: { type: 'string' },
  policy: { type: 'string' },
  container: { type: 'string', multiple: true },
  ...jsonFlag,
} as const;

const argsSchema = z.object({
  'service-dir': z.string({ error: 'is required' }).min(1),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  policy: z.string().min(1).optional(),
  container: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a container name')).optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

/** Without a policy, every check the stage knows is required (the strictest reading). */
const ALL_REQUIRED: SecurityRequirements = { authentication: 'mandatory', input_validation: 'strict', error_handling: 'secure', encryption_in_transit: 'required', logging: 'comprehensive' };

export const probeCommand: Command = {
  name: 'probe',
  summary: "probe a running service's declared endpoints (auth, input validation, error leaks, logging)",
  usage,
  async run(argv) {
    const args = parseCommandArgs('probe', argv, options, argsSchema);
    const dir = args['service-dir'];
    const manifest = await loadManifest(dir);
    if (!manifest.security) throw badInput(`airlock probe: ${join(dir, 'airlock.yaml')} declares no security.endpoints: nothing to probe`);
    const policyFile = args.policy ?? (existsSync(join(dir, 'airlock.policy.yaml')) ? join(dir, 'airlock.policy.yaml') : undefined);
    const policy = policyFile ? (await loadPolicy(policyFile)).policy : undefined;
    const docker = args.container?.length ? new Docker() : undefined;
    let report: RuntimeSecurityReport;
    try {
      report = await runProbes({
        url: args.url,
        endpoints: manifest.security.endpoints,
        requirements: policy?.security_requirements ?? ALL_REQUIRED,
        exceptions: policy?.exceptions ?? [],
        ...(docker ? { readLogs: (since: number) => containerLogs(docker, args.container!, since) } : {}),
        onProgress: (done, total) => done === total && !args.json && progress(`  ${total} probes sent`),
      });
    } catch (err) {
      if (err instanceof RangeError) throw badInput(`airlock probe: --url: ${err.message}`);
      throw err;
    }
    if (args.json) printJson({ ...report, policy: policyFile ?? null });
    else process.stdout.write(`${render(report, policyFile)}\n`);
    if (!report.passed) throw new ExitError(EXIT.blockedByPolicy, `airlock probe: ${report.findings.filter((f) => f.blocking).length} blocking finding(s)`);
  },
};

function render(r: RuntimeSecurityReport, policyFile: string | undefined): string {
  const out = [
    `${r.url}: ${r.endpoints} endpoint(s), ${r.requests} request(s) in ${r.durationMs} ms (judged by ${policyFile ?? 'every check required: no policy file'})`,
    table(['check', 'status', 'detail'], Object.entries(r.checks).map(([k, v]) => [k, v.status, v.detail])),
  ];
  if (r.findings.length) {
    out.push('', `findings (${r.findingCount}):`);
    for (const f of r.findings) out.push(`  ${f.blocking ? 'BLOCKING' : 'reported'}  ${f.check}  ${f.endpoint}  ${f.detail}  [${f.probe}]`);
  }
  for (const x of r.exceptionsApplied) out.push(`exception applied: ${x.id} (owner ${x.owner}, expires ${x.expires}): ${x.covered.join(', ')}`);
  out.push('', r.passed ? 'passed' : 'NOT PASSED');
  return out.join('\n');
}

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { loadSigningKey, SIGNING_PUB_FILE } from '../../activities/evidence/signing-key';
import { publicKeyOf } from '../../model/approval';
import { probeAll } from '../../infra/local/probes';
import { ensureService, processDirs, runBootstrap, SERVICES, servicesToStart } from '../../infra/local/stack';
import { stopProcess } from '../../infra/local/processes';
import { loadConfig, type AirlockConfig } from '../../infra/config';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError, badInput } from '../errors';
import { DEMO_PEOPLE } from '../demo/repo';
import { createKey, keyFile, readKey } from '../keys';
import { printJson, progress, table } from '../output';

const usage = `usage: airlock dev up [--skip-bootstrap]
       airlock dev status [--json]
       airlock dev down [--docker]

up      install and start the local stack: Debian packages, dockerd, Temporal/Pulumi/Trivy (built from
        their Go modules), base images, then the Temporal dev server (headless), the Temporal UI (read-only;
        AIRLOCK_TEMPORAL_UI=off for none), the OCI registry and Prometheus.
        Idempotent: what already runs is left alone.
status  one line per component; exit 0 only when every component is ok.
down    stop the services \`up\` started (by pid); data stays. --docker also stops a dockerd airlock started.`;

/**
 * The worker's first-release policy for the local stack, written when missing (never overwritten): the
 * demo's approvers alice (developers) and sam (security), keys in $AIRLOCK_HOME/keys, both needed. A real
 * installation writes its own (docs/policy.md "First release"), outside every repository.
 */
export function ensureBootstrapPolicy(config: AirlockConfig): string {
  const file = config.bootstrapPolicy;
  if (existsSync(file)) return `${file} (kept)`;
  const key = (who: string) => (existsSync(keyFile(config.dirs.keys, who)) ? publicKeyOf(readKey(config.dirs.keys, who)) : createKey(config.dirs.keys, who));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `# airlock's first-release policy for this worker (written by \`airlock dev up\` for the local stack).
# An environment's first release has no stable release whose policy could judge it: it is always high
# risk and approved by these approvers, never by the policy the release brings. Format: docs/policy.md.
version: 1
approvers:
  - { name: ${DEMO_PEOPLE.approver}, publicKey: ${key(DEMO_PEOPLE.approver)}, groups: [developers] }
  - { name: ${DEMO_PEOPLE.security}, publicKey: ${key(DEMO_PEOPLE.security)}, groups: [security] }
rule: { approvals: 2, require: [security] }
timeout: 24h
branches: [main]
`,
    { mode: 0o644 },
  );
  return `${file} (written: approvers ${DEMO_PEOPLE.approver}, ${DEMO_PEOPLE.security})`;
}

/** `dev up` as a function (the demo and the test command reuse it): bootstrap, services, all-ok check. */
export async function bringUp(config: AirlockConfig, opts: { bootstrap: boolean }): Promise<void> {
  const started = Date.now();
  if (opts.bootstrap) await runBootstrap(config);
  for (const name of servicesToStart(config)) {
    const outcome = await ensureService(config, processDirs(config), name).catch((err: Error) => {
      throw new ExitError(EXIT.failure, `airlock dev up: ${err.message}`);
    });
    progress(`    ${name}: ${outcome}`);
  }
  progress(`    bootstrap policy: ${ensureBootstrapPolicy(config)}`);
  // the worker's evidence signing key (created on first use, 0600): its public half is what verifiers trust
  const signing = await loadSigningKey(config).catch((err: Error) => {
    throw new ExitError(EXIT.failure, `airlock dev up: ${err.message}`);
  });
  progress(`    evidence signing key: ${signing.path} (keyid ${signing.keyid.slice(0, 19)}…; public key: ${config.signingKey ? 'from the key file' : SIGNING_PUB_FILE + ' beside it'})`);
  const status = await probeAll(config);
  progress(table(['component', 'ok', 'version', 'endpoint / detail'], status.map((s) => [s.name, s.ok ? 'ok' : 'FAIL', s.version ?? '', s.detail ?? s.endpoint ?? ''])));
  const bad = status.filter((s) => !s.ok);
  if (bad.length) throw new ExitError(EXIT.failure, `airlock dev up: not ok: ${bad.map((s) => `${s.name} (${s.detail})`).join('; ')}`);
  const ui = config.temporal.ui === 'off' ? 'Temporal UI off' : `Temporal UI http://127.0.0.1:${config.temporal.uiPort}, read-only`;
  progress(`local stack ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${ui})`);
}

async function up(argv: string[]): Promise<void> {
  const args = parseCommandArgs('dev up', argv, { 'skip-bootstrap': { type: 'boolean', default: false } }, z.object({ 'skip-bootstrap': z.boolean(), positionals: z.array(z.string()).max(0) }));
  await bringUp(loadConfig(), { bootstrap: !args['skip-bootstrap'] });
}

async function status(argv: string[]): Promise<void> {
  const args = parseCommandArgs('dev status', argv, jsonFlag, z.object({ json: z.boolean(), positionals: z.array(z.string()).max(0) }));
  const all = await probeAll(loadConfig());
  if (args.json) printJson(all);
  else process.stdout.write(`${table(['component', 'ok', 'version', 'endpoint', 'detail'], all.map((s) => [s.name, s.ok ? 'ok' : 'FAIL', s.version ?? '', s.endpoint ?? '', s.detail ?? '']))}\n`);
  const bad = all.filter((s) => !s.ok);
  if (bad.length) throw new ExitError(EXIT.failure, args.json ? '' : `not ok: ${bad.map((s) => s.name).join(', ')}`);
}

async function down(argv: string[]): Promise<void> {
  const args = parseCommandArgs('dev down', argv, { docker: { type: 'boolean', default: false } }, z.object({ docker: z.boolean(), positionals: z.array(z.string()).max(0) }));
  const config = loadConfig();
  const dirs = processDirs(config);
  const names: string[] = [...SERVICES].reverse();
  if (args.docker) names.push('dockerd');
  for (const name of names) progress(`    ${name}: ${(await stopProcess(dirs, name)) ? 'stopped' : 'not started by airlock'}`);
}

export const devCommand: Command = {
  name: 'dev',
  summary: 'run the local stack: dev up | status | down',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'up') return up(rest);
    if (sub === 'status') return status(rest);
    if (sub === 'down') return down(rest);
    throw badInput(`airlock dev: expected up, status or down, got ${sub ? `'${sub}'` : 'nothing'}`);
  },
};

import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { bootstrapPolicySchema, branchesOf, type BootstrapPolicy } from '../../model/anchor';
import type { AnchoredPolicy } from '../../model/activities';
import { InvalidInputError, parseWith } from '../../model/parse';
import { POLICY_FILE, policySchema } from '../../model/policy';
import { sha256 } from '../evidence/store';
import { AnchorError } from '../errors';
import { manifestAtCommit, parseYaml, pathInRepo, protectedBranchContaining } from '../shared';
import type { LoadedPolicy } from './evaluate';
import { readPolicy } from './index';
import { policySnapshot } from './snapshot';

export interface ReadAnchorPolicyInput {
  repo: string;
  serviceDir: string;
  environment: string;
  headCommit: string;
  /** The stable release's commit (resolveAnchor); null: a first release, judged by the worker's bootstrap file. */
  anchor: string | null;
}

/** How the worker's bootstrap file is configured, said in every error about it. */
const HOW = 'set AIRLOCK_BOOTSTRAP_POLICY to a YAML file outside the repository (approvers: [{name, publicKey, groups}], rule: {approvals, require}; see docs/policy.md "First release") — `airlock dev up` writes a local one';

/** The worker's bootstrap file, parsed; a missing one is refused with how to configure it. */
export async function loadBootstrapPolicy(file: string): Promise<{ bootstrap: BootstrapPolicy; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw InvalidInputError.line('bootstrap policy', `${file}: cannot be read (${code}): an environment's first release is approved by the worker's bootstrap approvers; ${HOW}`);
  }
  return { bootstrap: parseWith(bootstrapPolicySchema, parseYaml(bytes.toString('utf8'), file), `bootstrap policy ${file}`), bytes };
}

/** The bootstrap file as a policy: its approvers in their groups, every level needing its rule, its gates or the built-in ones. */
export function bootstrapAsPolicy(b: BootstrapPolicy, bytes: Buffer, source: string): LoadedPolicy {
  const groups: Record<string, { members: { id: string; publicKey: string; aliases: string[] }[] }> = {};
  for (const a of b.approvers) for (const g of a.groups) (groups[g] ??= { members: [] }).members.push({ id: a.name, publicKey: a.publicKey, aliases: a.aliases });
  const rule = { required: b.rule.approvals, require: b.rule.require };
  const policy = parseWith(
    policySchema,
    { version: 1, ...(b.gates ? { gates: b.gates } : {}), approverGroups: groups, approvals: { timeout: b.timeout, low: rule, medium: rule, high: rule }, environments: b.environments },
    source,
  );
  return { policy, digest: sha256(bytes), source };
}

/**
 * The policy that judges a pipeline: at the anchor (the stable release's commit; its airlock.yaml's
 * `policy:` says where, default `<serviceDir>/airlock.policy.yaml`), or for a first release the worker's
 * bootstrap file. Never the head's, never a path or commit the trigger chose. Also checks that head is on
 * one of the environment's protected branches, as that policy names them.
 */
export function createReadAnchorPolicy(bootstrapFile: string) {
  return async (input: ReadAnchorPolicyInput): Promise<AnchoredPolicy> => {
    let loaded: LoadedPolicy;
    let source: string;
    let branches: string[];
    let path: string | undefined;
    if (input.anchor) {
      const serviceDir = await pathInRepo(input.repo, input.serviceDir);
      const manifest = await manifestAtCommit(input.repo, input.anchor, serviceDir);
      path = posix.normalize(manifest?.manifest.policy ?? posix.join(serviceDir || '.', POLICY_FILE));
      loaded = await readPolicy({ repo: input.repo, commit: input.anchor, path });
      source = `git:${input.repo}@${input.anchor}:${path}`;
      branches = branchesOf(loaded.policy.environments, input.environment);
    } else {
      const { bootstrap, bytes } = await loadBootstrapPolicy(bootstrapFile);
      source = `bootstrap:${bootstrapFile}`;
      loaded = bootstrapAsPolicy(bootstrap, bytes, source);
      branches = branchesOf(bootstrap.environments, input.environment, bootstrap.branches);
    }
    const branch = await protectedBranchContaining(input.repo, input.headCommit, branches);
    if (!branch)
      throw new AnchorError(
        `head ${input.headCommit.slice(0, 12)} is not on a protected branch of ${input.environment} (${branches.join(', ')}): ` +
          `merge it into one of them first (the branches are set in ${input.anchor ? `environments.${input.environment}.branches of the policy` : 'the worker bootstrap file'})`,
        { head: input.headCommit, branches },
      );
    return { anchor: input.anchor ?? 'bootstrap', source, branch, ...(path ? { path } : {}), policy: loaded, snapshot: policySnapshot(loaded, source) };
  };
}
